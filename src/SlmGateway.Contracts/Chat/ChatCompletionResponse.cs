using System.Text.Json.Serialization;

namespace SlmGateway.Contracts.Chat;

/// <summary>The non-streamed answer of <c>POST /v1/chat/completions</c>.</summary>
public sealed record ChatCompletionResponse(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<ChatChoice> Choices,
    Usage Usage,
    string? SystemFingerprint);

public sealed record ChatChoice(
    int Index,
    AssistantMessage Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ChoiceLogprobs? Logprobs,
    string FinishReason);

public sealed record AssistantMessage(
    string Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Content,
    IReadOnlyList<ToolCall>? ToolCalls,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Refusal);

public sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens);

public sealed record ChoiceLogprobs(IReadOnlyList<TokenLogprob> Content);

public sealed record TokenLogprob(string Token, double Logprob, IReadOnlyList<byte>? Bytes, IReadOnlyList<TopLogprob> TopLogprobs);

public sealed record TopLogprob(string Token, double Logprob, IReadOnlyList<byte>? Bytes);
