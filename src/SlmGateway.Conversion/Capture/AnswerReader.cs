using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlmGateway.Conversion.Capture;

/// <summary>
/// The assistant message of a chat completion, read from a JSON body or assembled from a stream's
/// chunks (content appended, tool calls joined by index): <c>{"role":"assistant","content":..,"tool_calls":[..]}</c>.
/// </summary>
internal static class AnswerReader
{
    public static JsonObject? Read(byte[] body, bool stream)
    {
        try
        {
            return stream ? FromStream(body) : FromJson(body);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            // Not an answer of the expected shape (a provider's own format): the call is kept without it.
            return null;
        }
    }

    private static JsonObject? FromJson(byte[] body)
    {
        var message = (JsonTree.Parse(body)?["choices"] as JsonArray is { Count: > 0 } choices ? choices[0]?["message"] : null)?.DeepClone() as JsonObject;
        if (message is null)
        {
            return null;
        }

        message.Remove("refusal");
        message.Remove("annotations");
        return message;
    }

    private static JsonObject? FromStream(byte[] body)
    {
        var content = new StringBuilder();
        var calls = new SortedDictionary<int, (string? Id, string? Name, StringBuilder Arguments)>();
        var any = false;
        foreach (var line in Encoding.UTF8.GetString(body).Split('\n'))
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal) || line.AsSpan(5).Trim().SequenceEqual("[DONE]"))
            {
                continue;
            }

            if (JsonTree.Parse(line.AsSpan(5).Trim().ToString())?["choices"] is not JsonArray { Count: > 0 } choices || choices[0]?["delta"] is not JsonObject delta)
            {
                continue;
            }

            any = true;
            if (delta["content"] is JsonValue text && text.GetValueKind() == JsonValueKind.String)
            {
                content.Append(text.GetValue<string>());
            }

            foreach (var call in delta["tool_calls"] as JsonArray ?? [])
            {
                var index = call?["index"]?.GetValue<int>() ?? 0;
                var entry = calls.TryGetValue(index, out var existing) ? existing : (null, null, new StringBuilder());
                entry.Id ??= call?["id"]?.GetValue<string>();
                entry.Name ??= call?["function"]?["name"]?.GetValue<string>();
                entry.Arguments.Append(call?["function"]?["arguments"]?.GetValue<string>());
                calls[index] = entry;
            }
        }

        if (!any)
        {
            return null;
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = calls.Count > 0 && content.Length == 0 ? null : content.ToString() };
        if (calls.Count > 0)
        {
            message["tool_calls"] = new JsonArray(calls.Values
                .Select(c => (JsonNode)new JsonObject
                {
                    ["id"] = c.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments.ToString() },
                })
                .ToArray());
        }

        return message;
    }
}
