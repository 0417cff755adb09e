using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Benchmarks.Routing;

/// <summary>A chat request with the route it should take and where it came from.</summary>
internal sealed record LabelledRequest(string Source, ChatCompletionRequest Request, bool Local);

/// <summary>
/// Reads labelled requests: the shared development data (BFCL tool-calling requests are local work,
/// MT-Bench questions remote work) or a user's own JSON Lines of <c>{"request": {...}, "label": "local"|"remote"}</c>.
/// </summary>
internal static class LabelledRequests
{
    public static IEnumerable<LabelledRequest> FromDevelopmentData(string dataFolder)
    {
        foreach (var file in Directory.GetFiles(Path.Combine(dataFolder, "bfcl"), "BFCL_*.json").Order())
        {
            var source = Path.GetFileNameWithoutExtension(file);
            foreach (var line in File.ReadLines(file).Where(line => line.Length > 0))
            {
                var item = JsonNode.Parse(line)!;
                var messages = item["question"]!.AsArray()[0]!.AsArray();
                var tools = new JsonArray(item["function"]!.AsArray().Select(function => (JsonNode)new JsonObject
                {
                    ["type"] = "function",
                    ["function"] = new JsonObject
                    {
                        ["name"] = ((string)function!["name"]!).Replace('.', '_'),
                        ["description"] = function["description"]?.DeepClone(),
                        ["parameters"] = function["parameters"]?.DeepClone(),
                    },
                }).ToArray());
                yield return new LabelledRequest(source, Parse(new JsonObject { ["model"] = "auto", ["messages"] = messages.DeepClone(), ["tools"] = tools }), true);
            }
        }

        foreach (var line in File.ReadLines(Path.Combine(dataFolder, "mt_bench", "question.jsonl")).Where(line => line.Length > 0))
        {
            var item = JsonNode.Parse(line)!;
            var turns = item["turns"]!.AsArray().Select(turn => (string)turn!).ToArray();
            var source = $"mt_bench/{(string)item["category"]!}";
            yield return new LabelledRequest(source, Parse(Conversation(turns[0])), false);
            if (turns.Length > 1)
            {
                yield return new LabelledRequest(source, Parse(Conversation(turns[0], "(the previous answer)", turns[1])), false);
            }
        }
    }

    public static IEnumerable<LabelledRequest> FromFile(string file)
    {
        foreach (var line in File.ReadLines(file).Where(line => line.Length > 0))
        {
            var item = JsonNode.Parse(line)!;
            yield return new LabelledRequest(Path.GetFileName(file), Parse(item["request"]!.AsObject()), (string?)item["label"] == "local");
        }
    }

    private static JsonObject Conversation(params string[] turns)
    {
        var messages = new JsonArray();
        for (var i = 0; i < turns.Length; i++)
        {
            messages.Add(new JsonObject { ["role"] = i % 2 == 0 ? "user" : "assistant", ["content"] = turns[i] });
        }

        return new JsonObject { ["model"] = "auto", ["messages"] = messages };
    }

    private static ChatCompletionRequest Parse(JsonObject json) =>
        JsonSerializer.Deserialize(json.ToJsonString(), WireJsonContext.Default.ChatCompletionRequest)!;
}
