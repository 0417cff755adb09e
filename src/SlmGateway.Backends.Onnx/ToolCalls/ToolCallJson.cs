using System.Text.Json;

namespace SlmGateway.Backends.Onnx.ToolCalls;

/// <summary>Reads the JSON of tool calls as the families write them: <c>{"name", "arguments"|"parameters"}</c>, alone or in an array.</summary>
internal static class ToolCallJson
{
    /// <summary>Reads one call object or an array of them; false if the text is not entirely that.</summary>
    public static bool TryParseCalls(string json, List<ParsedToolCall> calls)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                var added = new List<ParsedToolCall>();
                foreach (var item in root.EnumerateArray())
                {
                    if (!TryRead(item, out var call))
                    {
                        return false;
                    }

                    added.Add(call);
                }

                calls.AddRange(added);
                return added.Count > 0;
            }

            if (TryRead(root, out var single))
            {
                calls.Add(single);
                return true;
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryRead(JsonElement element, out ParsedToolCall call)
    {
        call = null!;
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("name", out var name)
            || name.ValueKind != JsonValueKind.String
            || string.IsNullOrEmpty(name.GetString()))
        {
            return false;
        }

        var arguments = element.TryGetProperty("arguments", out var args) || element.TryGetProperty("parameters", out args)
            ? args.ValueKind == JsonValueKind.String ? args.GetString()! : args.GetRawText()
            : "{}";
        call = new ParsedToolCall(name.GetString()!, arguments);
        return true;
    }
}
