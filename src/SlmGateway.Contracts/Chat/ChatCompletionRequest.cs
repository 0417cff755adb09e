using System.Text.Json;

namespace SlmGateway.Contracts.Chat;

/// <summary>
/// The body of <c>POST /v1/chat/completions</c>. Fields whose JSON type varies (content, stop,
/// tool_choice) stay <see cref="JsonElement"/> and are checked by <see cref="ChatCompletionRequestValidator"/>.
/// Fields the gateway does not read are not modelled: the raw body is what is forwarded.
/// </summary>
public sealed class ChatCompletionRequest
{
    public string? Model { get; init; }
    public List<ChatMessage>? Messages { get; init; }
    public bool? Stream { get; init; }
    public StreamOptions? StreamOptions { get; init; }
    public int? N { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? MaxTokens { get; init; }
    public int? MaxCompletionTokens { get; init; }
    public JsonElement? Stop { get; init; }
    public long? Seed { get; init; }
    public bool? Logprobs { get; init; }
    public int? TopLogprobs { get; init; }
    public List<ToolDefinition>? Tools { get; init; }
    public JsonElement? ToolChoice { get; init; }
    public bool? ParallelToolCalls { get; init; }
    public ResponseFormat? ResponseFormat { get; init; }
    public double? PresencePenalty { get; init; }
    public double? FrequencyPenalty { get; init; }
    public string? User { get; init; }
    public Dictionary<string, string>? Metadata { get; init; }

    public bool IsStreaming => Stream == true;
}

public sealed class ChatMessage
{
    public string? Role { get; init; }
    public JsonElement? Content { get; init; }
    public string? Name { get; init; }
    public List<ToolCall>? ToolCalls { get; init; }
    public string? ToolCallId { get; init; }
}

public sealed class ToolCall
{
    public string? Id { get; init; }
    public string? Type { get; init; }
    public FunctionCall? Function { get; init; }
}

public sealed class FunctionCall
{
    public string? Name { get; init; }
    public string? Arguments { get; init; }
}

public sealed class ToolDefinition
{
    public string? Type { get; init; }
    public FunctionDefinition? Function { get; init; }
}

public sealed class FunctionDefinition
{
    public string? Name { get; init; }
    public string? Description { get; init; }
    public JsonElement? Parameters { get; init; }
    public bool? Strict { get; init; }
}

public sealed class ResponseFormat
{
    public string? Type { get; init; }
    public JsonSchemaFormat? JsonSchema { get; init; }
}

public sealed class JsonSchemaFormat
{
    public string? Name { get; init; }
    public string? Description { get; init; }
    public JsonElement? Schema { get; init; }
    public bool? Strict { get; init; }
}

public sealed class StreamOptions
{
    public bool? IncludeUsage { get; init; }
}
