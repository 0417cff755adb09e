using System.Text.Json;

namespace SlmGateway.Contracts.Chat;

/// <summary>
/// The body of <c>POST /v1/chat/completions</c>. Fields whose JSON type varies have types that read
/// any of them without a <see cref="JsonDocument"/> (<see cref="StopSequences"/>, <see cref="ToolChoice"/>,
/// <see cref="ChatContent"/> for a string), and schemas are kept as their text (<see cref="RawJsonValue"/>);
/// all are checked by <see cref="ChatCompletionRequestValidator"/>.
/// Fields the gateway does not read are not modelled: the raw body is what is forwarded.
/// </summary>
public sealed class ChatCompletionRequest
{
    public string? Model { get; set; }
    public List<ChatMessage>? Messages { get; set; }
    public bool? Stream { get; set; }
    public StreamOptions? StreamOptions { get; set; }
    public int? N { get; set; }
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    public int? MaxTokens { get; set; }
    public int? MaxCompletionTokens { get; set; }
    public StopSequences? Stop { get; set; }
    public long? Seed { get; set; }
    public bool? Logprobs { get; set; }
    public int? TopLogprobs { get; set; }
    public List<ToolDefinition>? Tools { get; set; }
    public ToolChoice? ToolChoice { get; set; }
    public bool? ParallelToolCalls { get; set; }
    public ResponseFormat? ResponseFormat { get; set; }
    public double? PresencePenalty { get; set; }
    public double? FrequencyPenalty { get; set; }
    public string? User { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }

    public bool IsStreaming => Stream == true;
}

public sealed class ChatMessage
{
    public string? Role { get; set; }
    public ChatContent? Content { get; set; }
    public string? Name { get; set; }
    public List<ToolCall>? ToolCalls { get; set; }
    public string? ToolCallId { get; set; }
}

public sealed class ToolCall
{
    public string? Id { get; set; }
    public string? Type { get; set; }
    public FunctionCall? Function { get; set; }
}

public sealed class FunctionCall
{
    public string? Name { get; set; }
    public string? Arguments { get; set; }
}

public sealed class ToolDefinition
{
    public string? Type { get; set; }
    public FunctionDefinition? Function { get; set; }
}

public sealed class FunctionDefinition
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public RawJsonValue? Parameters { get; set; }
    public bool? Strict { get; set; }
}

public sealed class ResponseFormat
{
    public string? Type { get; set; }
    public JsonSchemaFormat? JsonSchema { get; set; }
}

public sealed class JsonSchemaFormat
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public RawJsonValue? Schema { get; set; }
    public bool? Strict { get; set; }
}

public sealed class StreamOptions
{
    public bool? IncludeUsage { get; set; }
}
