using System.Text.Json.Serialization;

namespace SlmGateway.Contracts.Chat;

/// <summary>One server-sent event of a streamed chat completion.</summary>
public sealed record ChatCompletionChunk(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<ChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage,
    string? SystemFingerprint);

public sealed record ChunkChoice(
    int Index,
    ChunkDelta Delta,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ChoiceLogprobs? Logprobs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason);

public sealed record ChunkDelta(string? Role, string? Content, IReadOnlyList<ToolCallDelta>? ToolCalls);

/// <summary>A piece of a streamed tool call; the first piece of each call names it, later ones add arguments.</summary>
public sealed record ToolCallDelta(int Index, string? Id, string? Type, FunctionCallDelta Function);

public sealed record FunctionCallDelta(string? Name, string? Arguments);
