using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlmGateway.Benchmarks.Conversion;

/// <summary>A request to replay and the answer the fake remote model gives it.</summary>
internal sealed record ReplayCall(string Source, JsonObject Request, JsonObject Answer);

/// <summary>
/// Calls to replay: a user's JSON Lines of <c>{"request": {...}, "answer": {assistant message}}</c>
/// (answer optional), or the development data: BFCL requests answered with their ground-truth calls
/// (the first acceptable value of each argument), irrelevance requests with a refusal, MT-Bench
/// questions with a fixed text.
/// </summary>
internal static class ReplayTraffic
{
    public static IEnumerable<ReplayCall> FromFile(string file)
    {
        foreach (var line in File.ReadLines(file).Where(l => l.Trim().Length > 0))
        {
            var item = JsonNode.Parse(line)!.AsObject();
            var request = item["request"]?.DeepClone() as JsonObject ?? throw new FormatException($"{file}: every line needs a \"request\" object.");
            yield return new ReplayCall(Path.GetFileName(file), request, item["answer"]?.DeepClone() as JsonObject ?? Text("OK."));
        }
    }

    public static IEnumerable<ReplayCall> FromDevelopmentData(string data)
    {
        // Single-turn files only: a multi-turn conversation names its tool sets instead of listing its tools.
        foreach (var file in Directory.GetFiles(Path.Combine(data, "bfcl"), "BFCL_*.json").Where(f => !f.Contains("multi_turn", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var answers = GroundTruth(Path.Combine(data, "bfcl", "possible_answer", Path.GetFileName(file)));
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
            {
                var item = JsonNode.Parse(line)!;
                var request = new JsonObject
                {
                    ["model"] = "gpt-4o-mini",
                    ["messages"] = item["question"]![0]!.DeepClone(),
                    ["tools"] = new JsonArray(item["function"]!.AsArray().Select(f => (JsonNode)new JsonObject
                    {
                        ["type"] = "function",
                        ["function"] = new JsonObject
                        {
                            ["name"] = ToolName((string)f!["name"]!),
                            ["description"] = f["description"]?.DeepClone(),
                            ["parameters"] = OpenAiSchema(f["parameters"]!.DeepClone()),
                        },
                    }).ToArray()),
                };
                var answer = answers.GetValueOrDefault((string)item["id"]!) ?? Text("None of the available tools fits this request.");
                yield return new ReplayCall(Path.GetFileNameWithoutExtension(file), request, answer);
            }
        }

        foreach (var line in File.ReadLines(Path.Combine(data, "mt_bench", "question.jsonl")).Where(l => l.Length > 0))
        {
            var item = JsonNode.Parse(line)!;
            var request = new JsonObject
            {
                ["model"] = "gpt-4o-mini",
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = (string)item["turns"]![0]! }),
            };
            yield return new ReplayCall("mt_bench", request, Text("Here is a considered answer."));
        }
    }

    /// <summary>OpenAI names match ^[a-zA-Z0-9_-]{1,64}$: BFCL's dotted names take underscores.</summary>
    private static string ToolName(string name) => name.Replace('.', '_');

    private static Dictionary<string, JsonObject> GroundTruth(string file)
    {
        var answers = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        if (!File.Exists(file))
        {
            return answers;
        }

        foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
        {
            var item = JsonNode.Parse(line)!;
            var calls = new JsonArray();
            foreach (var call in item["ground_truth"]!.AsArray())
            {
                var (name, parameters) = call!.AsObject().First();
                var arguments = new JsonObject();
                foreach (var (parameter, values) in parameters!.AsObject())
                {
                    if (values!.AsArray().FirstOrDefault() is { } first && !(first is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0))
                    {
                        arguments[parameter] = first.DeepClone();
                    }
                }

                calls.Add(new JsonObject
                {
                    ["id"] = $"call_{calls.Count}",
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = ToolName(name), ["arguments"] = arguments.ToJsonString() },
                });
            }

            answers[(string)item["id"]!] = new JsonObject { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = calls };
        }

        return answers;
    }

    /// <summary>Gorilla's parameter types in JSON Schema's words (dict, float, tuple, any).</summary>
    private static JsonNode OpenAiSchema(JsonNode schema)
    {
        if (schema is JsonObject obj)
        {
            if (obj["type"] is JsonValue type && type.GetValueKind() == JsonValueKind.String)
            {
                obj["type"] = (string)type! switch { "dict" => "object", "float" => "number", "tuple" => "array", "any" => "string", var t => t };
            }

            foreach (var (name, value) in obj.ToArray())
            {
                if (value is JsonObject or JsonArray)
                {
                    obj[name] = OpenAiSchema(value.DeepClone());
                }
            }
        }
        else if (schema is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is JsonObject or JsonArray)
                {
                    array[i] = OpenAiSchema(array[i]!.DeepClone());
                }
            }
        }

        return schema;
    }

    private static JsonObject Text(string content) => new() { ["role"] = "assistant", ["content"] = content };
}
