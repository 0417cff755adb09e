using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Conversion.Export;

/// <summary>
/// A cluster's curated pairs in OpenAI's chat fine-tuning format, one JSON object a line:
/// <c>{"messages":[...,{"role":"assistant",...}],"tools":[...],"parallel_tool_calls":..}</c>. Only the
/// remote model's successful answers are taken (they are the teacher's), each distinct task once,
/// from stored (already redacted) calls. The split is by task hash, so a task never moves between
/// training and validation as more calls arrive.
/// </summary>
internal static class FineTuningExporter
{
    public static (List<string> Training, List<string> Validation) Export(
        IEnumerable<(string? RequestJson, string? AnswerJson, string? Route, int Status, string? RequestHash)> calls, double validationShare)
    {
        var (training, validation) = (new List<string>(), new List<string>());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var call in calls)
        {
            if (call is not { Route: "remote", Status: 200, RequestJson: { } request, AnswerJson: { } answer, RequestHash: { } hash } || !seen.Add(hash))
            {
                continue;
            }

            if (Example(request, answer) is not { } line)
            {
                continue;
            }

            var bucket = uint.Parse(hash.AsSpan(0, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture) % 10_000;
            (bucket < validationShare * 10_000 ? validation : training).Add(line);
        }

        return (training, validation);
    }

    private static string? Example(string requestJson, string answerJson)
    {
        if (JsonNode.Parse(requestJson) is not JsonObject request || JsonNode.Parse(answerJson) is not JsonObject answer
            || request["messages"] is not JsonArray messages)
        {
            return null;
        }

        var output = new JsonArray();
        foreach (var message in messages.OfType<JsonObject>())
        {
            output.Add(Message(message));
        }

        output.Add(Message(answer));
        var example = new JsonObject { ["messages"] = output };
        if (request["tools"] is JsonArray { Count: > 0 } tools)
        {
            example["tools"] = tools.DeepClone();
        }

        if (request["parallel_tool_calls"] is JsonValue parallel)
        {
            example["parallel_tool_calls"] = parallel.DeepClone();
        }

        return example.ToJsonString();
    }

    /// <summary>The fields fine-tuning reads; <c>developer</c> becomes <c>system</c>, text parts become one string.</summary>
    private static JsonObject Message(JsonObject message)
    {
        var role = message["role"]?.GetValue<string>();
        var result = new JsonObject { ["role"] = role == "developer" ? "system" : role };
        if (message["content"] is JsonArray parts)
        {
            result["content"] = MessageContent.TextOf(new ChatContent(new RawJsonValue(Encoding.UTF8.GetBytes(parts.ToJsonString()), JsonValueKind.Array))).Text;
        }
        else
        {
            result["content"] = message["content"]?.DeepClone();
        }

        foreach (var field in (string[])["name", "tool_call_id"])
        {
            if (message[field] is { } value)
            {
                result[field] = value.DeepClone();
            }
        }

        if (message["tool_calls"] is JsonArray { Count: > 0 } calls)
        {
            result["tool_calls"] = new JsonArray(calls.OfType<JsonObject>()
                .Select(c => (JsonNode)new JsonObject
                {
                    ["id"] = c["id"]?.DeepClone(),
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = c["function"]?["name"]?.DeepClone(), ["arguments"] = c["function"]?["arguments"]?.DeepClone() },
                })
                .ToArray());
        }

        return result;
    }
}
