using System.Text.Json;
using System.Text.RegularExpressions;
using SlmGateway.Contracts.Errors;

namespace SlmGateway.Contracts.Chat;

/// <summary>Checks a parsed chat request against the rules OpenAI applies, before it is routed anywhere.</summary>
public static partial class ChatCompletionRequestValidator
{
    private const int MaxStopSequences = 4;
    private const int MaxN = 128;
    private const int MaxTopLogprobs = 20;

    public static GatewayError? Validate(ChatCompletionRequest request)
    {
        return ValidateModel(request.Model)
            ?? ValidateMessages(request.Messages)
            ?? ValidateSampling(request)
            ?? ValidateStop(request.Stop)
            ?? ValidateTools(request.Tools)
            ?? ValidateToolChoice(request.ToolChoice, request.Tools)
            ?? ValidateResponseFormat(request.ResponseFormat)
            ?? ValidateStreamOptions(request);
    }

    public static GatewayError? ValidateModel(string? model) =>
        string.IsNullOrWhiteSpace(model)
            ? GatewayError.InvalidRequest("You must provide a model parameter.", "model", "missing_required_parameter")
            : null;

    private static GatewayError? ValidateMessages(List<ChatMessage>? messages)
    {
        if (messages is null)
        {
            return GatewayError.InvalidRequest("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
        }

        if (messages.Count == 0)
        {
            return GatewayError.InvalidRequest("'messages' must contain at least one message.", "messages", "empty_array");
        }

        for (var i = 0; i < messages.Count; i++)
        {
            var error = ValidateMessage(messages[i], $"messages[{i}]");
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    private static GatewayError? ValidateMessage(ChatMessage? message, string param)
    {
        if (message is null)
        {
            return GatewayError.InvalidRequest($"'{param}' must be an object.", param, "invalid_type");
        }

        switch (message.Role)
        {
            case null:
                return GatewayError.InvalidRequest($"Missing required parameter: '{param}.role'.", $"{param}.role", "missing_required_parameter");
            case "system" or "developer" or "user":
                return ValidateContent(message.Content, $"{param}.content", required: true);
            case "assistant":
                if (message.ToolCalls is { Count: > 0 })
                {
                    return ValidateToolCalls(message.ToolCalls, $"{param}.tool_calls")
                        ?? ValidateContent(message.Content, $"{param}.content", required: false);
                }

                return ValidateContent(message.Content, $"{param}.content", required: true);
            case "tool":
                if (string.IsNullOrEmpty(message.ToolCallId))
                {
                    return GatewayError.InvalidRequest($"Missing required parameter: '{param}.tool_call_id'.", $"{param}.tool_call_id", "missing_required_parameter");
                }

                return ValidateContent(message.Content, $"{param}.content", required: true);
            case "function":
                return ValidateContent(message.Content, $"{param}.content", required: false);
            default:
                return GatewayError.InvalidRequest(
                    $"Invalid value '{message.Role}' for '{param}.role'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool' and 'function'.",
                    $"{param}.role", "invalid_value");
        }
    }

    private static GatewayError? ValidateContent(ChatContent? content, string param, bool required)
    {
        if (content is not { } value || value.Kind == JsonValueKind.Null)
        {
            return required
                ? GatewayError.InvalidRequest($"Missing required parameter: '{param}'.", param, "missing_required_parameter")
                : null;
        }

        if (value.Kind == JsonValueKind.String)
        {
            return null;
        }

        if (value.Kind != JsonValueKind.Array)
        {
            return GatewayError.InvalidRequest($"Invalid type for '{param}': expected a string or an array of content parts.", param, "invalid_type");
        }

        for (var index = 0; index < value.Parts!.Count; index++)
        {
            var part = value.Parts[index];
            var partParam = $"{param}[{index}]";
            if (part.Kind != JsonValueKind.Object || part.Type is null)
            {
                return GatewayError.InvalidRequest($"Invalid content part '{partParam}': an object with a string 'type' is required.", partParam, "invalid_type");
            }

            if (part is { Type: "text", Text: null })
            {
                return GatewayError.InvalidRequest($"Missing required parameter: '{partParam}.text'.", $"{partParam}.text", "missing_required_parameter");
            }
        }

        return null;
    }

    private static GatewayError? ValidateToolCalls(List<ToolCall> toolCalls, string param)
    {
        for (var i = 0; i < toolCalls.Count; i++)
        {
            var call = toolCalls[i];
            var callParam = $"{param}[{i}]";
            if (call?.Function?.Name is null || string.IsNullOrEmpty(call.Id))
            {
                return GatewayError.InvalidRequest($"'{callParam}' needs an 'id' and a 'function.name'.", callParam, "missing_required_parameter");
            }
        }

        return null;
    }

    private static GatewayError? ValidateSampling(ChatCompletionRequest request)
    {
        if (request.Temperature is < 0 or > 2)
        {
            return OutOfRange("temperature", "between 0 and 2");
        }

        if (request.TopP is < 0 or > 1)
        {
            return OutOfRange("top_p", "between 0 and 1");
        }

        if (request.PresencePenalty is < -2 or > 2)
        {
            return OutOfRange("presence_penalty", "between -2 and 2");
        }

        if (request.FrequencyPenalty is < -2 or > 2)
        {
            return OutOfRange("frequency_penalty", "between -2 and 2");
        }

        if (request.N is < 1 or > MaxN)
        {
            return OutOfRange("n", $"between 1 and {MaxN}");
        }

        if (request.MaxTokens is < 1)
        {
            return OutOfRange("max_tokens", "at least 1");
        }

        if (request.MaxCompletionTokens is < 1)
        {
            return OutOfRange("max_completion_tokens", "at least 1");
        }

        if (request.TopLogprobs is { } topLogprobs)
        {
            if (topLogprobs is < 0 or > MaxTopLogprobs)
            {
                return OutOfRange("top_logprobs", $"between 0 and {MaxTopLogprobs}");
            }

            if (request.Logprobs != true)
            {
                return GatewayError.InvalidRequest("'top_logprobs' requires 'logprobs' to be true.", "top_logprobs", "invalid_value");
            }
        }

        return null;
    }

    private static GatewayError? ValidateStop(StopSequences? stop)
    {
        if (stop is null || stop.Kind == JsonValueKind.String)
        {
            return null;
        }

        if (stop.Kind != JsonValueKind.Array)
        {
            return GatewayError.InvalidRequest("Invalid type for 'stop': expected a string or an array of strings.", "stop", "invalid_type");
        }

        if (stop.ItemCount > MaxStopSequences)
        {
            return GatewayError.InvalidRequest($"'stop' may hold at most {MaxStopSequences} sequences.", "stop", "invalid_value");
        }

        return !stop.AllStrings || stop.Sequences.Any(sequence => sequence.Length == 0)
            ? GatewayError.InvalidRequest("Every 'stop' sequence must be a non-empty string.", "stop", "invalid_value")
            : null;
    }

    private static GatewayError? ValidateTools(List<ToolDefinition>? tools)
    {
        if (tools is null)
        {
            return null;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tools.Count; i++)
        {
            var tool = tools[i];
            var param = $"tools[{i}]";
            if (tool?.Type != "function")
            {
                return GatewayError.InvalidRequest($"Invalid value for '{param}.type': only 'function' is supported.", $"{param}.type", "invalid_value");
            }

            var name = tool.Function?.Name;
            if (name is null || !FunctionName().IsMatch(name))
            {
                return GatewayError.InvalidRequest(
                    $"Invalid '{param}.function.name': it must match ^[a-zA-Z0-9_-]{{1,64}}$.", $"{param}.function.name", "invalid_value");
            }

            if (!names.Add(name))
            {
                return GatewayError.InvalidRequest($"Duplicate tool name '{name}'.", $"{param}.function.name", "invalid_value");
            }

            if (tool.Function!.Parameters is { Kind: not (JsonValueKind.Object or JsonValueKind.Null) })
            {
                return GatewayError.InvalidRequest($"'{param}.function.parameters' must be a JSON Schema object.", $"{param}.function.parameters", "invalid_type");
            }
        }

        return null;
    }

    private static GatewayError? ValidateToolChoice(ToolChoice? toolChoice, List<ToolDefinition>? tools)
    {
        if (toolChoice is null)
        {
            return null;
        }

        if (toolChoice.Kind == JsonValueKind.String)
        {
            var value = toolChoice.Mode;
            if (value is not ("none" or "auto" or "required"))
            {
                return GatewayError.InvalidRequest($"Invalid value '{value}' for 'tool_choice': use 'none', 'auto', 'required' or a named function.", "tool_choice", "invalid_value");
            }

            return value == "required" && tools is not { Count: > 0 }
                ? GatewayError.InvalidRequest("'tool_choice' is 'required' but no 'tools' are given.", "tool_choice", "invalid_value")
                : null;
        }

        if (toolChoice.FunctionName is not { } chosen)
        {
            return GatewayError.InvalidRequest("Invalid 'tool_choice': expected a string or {\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice", "invalid_type");
        }

        return tools?.Exists(t => t.Function?.Name == chosen) == true
            ? null
            : GatewayError.InvalidRequest($"'tool_choice' names the function '{chosen}', which is not among 'tools'.", "tool_choice", "invalid_value");
    }

    private static GatewayError? ValidateResponseFormat(ResponseFormat? format)
    {
        switch (format?.Type)
        {
            case null when format is null:
            case "text" or "json_object":
                return null;
            case "json_schema":
                if (format.JsonSchema is null || string.IsNullOrEmpty(format.JsonSchema.Name))
                {
                    return GatewayError.InvalidRequest("Missing required parameter: 'response_format.json_schema.name'.", "response_format.json_schema.name", "missing_required_parameter");
                }

                return format.JsonSchema.Schema is { Kind: not (JsonValueKind.Object or JsonValueKind.Null) }
                    ? GatewayError.InvalidRequest("'response_format.json_schema.schema' must be an object.", "response_format.json_schema.schema", "invalid_type")
                    : null;
            default:
                return GatewayError.InvalidRequest(
                    $"Invalid value '{format.Type}' for 'response_format.type': use 'text', 'json_object' or 'json_schema'.", "response_format.type", "invalid_value");
        }
    }

    private static GatewayError? ValidateStreamOptions(ChatCompletionRequest request) =>
        request.StreamOptions is not null && !request.IsStreaming
            ? GatewayError.InvalidRequest("'stream_options' is only allowed when 'stream' is true.", "stream_options", "invalid_value")
            : null;

    private static GatewayError OutOfRange(string param, string range) =>
        GatewayError.InvalidRequest($"Invalid value for '{param}': it must be {range}.", param, "invalid_value");

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex FunctionName();
}
