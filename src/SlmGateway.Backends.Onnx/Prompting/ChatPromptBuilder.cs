using System.Buffers;
using System.Text;
using System.Text.Json;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Errors;

namespace SlmGateway.Backends.Onnx.Prompting;

/// <summary>
/// Turns a chat request into the JSON that a Hugging Face chat template expects (messages and
/// tools), so the model's own template renders it: <c>developer</c> becomes <c>system</c>, content
/// parts become text, tool-call arguments become objects.
/// </summary>
internal static class ChatPromptBuilder
{
    public static (string? MessagesJson, GatewayError? Error) Messages(IReadOnlyList<ChatMessage> messages)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < messages.Count; i++)
            {
                var message = messages[i];
                var (text, error) = TextOf(message.Content, $"messages[{i}].content");
                if (error is not null)
                {
                    return (null, error);
                }

                writer.WriteStartObject();
                writer.WriteString("role", message.Role is "developer" ? "system" : message.Role);
                writer.WriteString("content", text);
                if (message.Name is { } name)
                {
                    writer.WriteString("name", name);
                }

                if (message.ToolCallId is { } toolCallId)
                {
                    writer.WriteString("tool_call_id", toolCallId);
                }

                if (message.ToolCalls is { Count: > 0 } calls)
                {
                    WriteToolCalls(writer, calls);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return (Encoding.UTF8.GetString(buffer.WrittenSpan), null);
    }

    public static string? Tools(IReadOnlyList<ToolDefinition>? tools)
    {
        if (tools is not { Count: > 0 })
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var tool in tools)
            {
                writer.WriteStartObject();
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WriteString("name", tool.Function!.Name);
                if (tool.Function.Description is { } description)
                {
                    writer.WriteString("description", description);
                }

                writer.WritePropertyName("parameters");
                if (tool.Function.Parameters is { Kind: JsonValueKind.Object } parameters)
                {
                    parameters.Element.WriteTo(writer);
                }
                else
                {
                    writer.WriteRawValue("""{"type":"object","properties":{}}""");
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteToolCalls(Utf8JsonWriter writer, List<ToolCall> calls)
    {
        writer.WriteStartArray("tool_calls");
        foreach (var call in calls)
        {
            writer.WriteStartObject();
            writer.WriteString("id", call.Id);
            writer.WriteString("type", "function");
            writer.WriteStartObject("function");
            writer.WriteString("name", call.Function!.Name);
            writer.WritePropertyName("arguments");
            WriteArguments(writer, call.Function.Arguments);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>Templates print arguments with <c>tojson</c>, so they get the object; text that is not JSON stays a string.</summary>
    private static void WriteArguments(Utf8JsonWriter writer, string? arguments)
    {
        if (arguments is not null)
        {
            try
            {
                using var document = JsonDocument.Parse(arguments);
                document.RootElement.WriteTo(writer);
                return;
            }
            catch (JsonException)
            {
                // Not JSON: written below as the string the client sent.
            }
        }

        writer.WriteStringValue(arguments ?? "{}");
    }

    private static (string Text, GatewayError? Error) TextOf(ChatContent? content, string param)
    {
        if (content?.Parts is not { } parts)
        {
            return (content?.Text ?? string.Empty, null);
        }

        for (var index = 0; index < parts.Count; index++)
        {
            if (parts[index].Type != "text")
            {
                return (string.Empty, GatewayError.InvalidRequest(
                    $"Local models accept text only; '{param}[{index}]' is of type '{parts[index].Type}'.",
                    $"{param}[{index}].type",
                    "unsupported_content_type"));
            }
        }

        return (MessageContent.TextOf(content).Text, null);
    }
}
