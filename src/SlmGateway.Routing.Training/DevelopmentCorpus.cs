using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Routing.Training;

/// <summary>
/// The router's labelled corpus, built from the shared development data (see its README).
/// Labels: a step of an agent's tool use (BFCL: single calls, choices among tools, parallel calls,
/// requests no tool fits, every user turn of a multi-turn agent session, and the step that answers
/// a tool's result) is local work; a hard ask (MT-Bench, BIG-Bench Hard, GSM8K word problems,
/// HumanEval programs, IFEval writing with constraints) is remote work, and is sent twice: bare, and
/// with an agent's tool list attached, because difficulty lies in the ask and agents send their whole
/// tool list with every call. One in five groups (by a hash of the group) is held back from training.
/// </summary>
internal static class DevelopmentCorpus
{
    /// <summary>Every request, training split and held-back split together.</summary>
    public static List<LabelledRequest> Load(string dataFolder)
    {
        var toolLists = new List<JsonArray>();
        var requests = new List<LabelledRequest>();
        requests.AddRange(SingleToolSteps(dataFolder, toolLists));
        var agentToolSets = AgentToolSets(dataFolder);
        requests.AddRange(AgentSessions(dataFolder, agentToolSets));
        toolLists.AddRange(agentToolSets.Values);
        requests.AddRange(HardAsks(dataFolder).SelectMany(ask => BareAndWithTools(ask, toolLists)));
        return requests;
    }

    /// <summary>
    /// The kind of request a source holds, for validation across kinds: the same ask with or without
    /// tools, and a session's turns and tool-result steps, are one kind; MT-Bench is one kind.
    /// </summary>
    public static string Family(string source)
    {
        var family = source.Replace("+tools", string.Empty, StringComparison.Ordinal);
        return family.StartsWith("bfcl/multi_turn", StringComparison.Ordinal) ? "bfcl/multi_turn"
            : family.StartsWith("mt_bench", StringComparison.Ordinal) ? "mt_bench"
            : family;
    }

    /// <summary>Whether a group is held back from training (20% of groups, fixed by their names).</summary>
    public static bool IsHeldBack(string group) => SHA256.HashData(Encoding.UTF8.GetBytes(group))[0] % 5 == 0;

    private static IEnumerable<LabelledRequest> SingleToolSteps(string dataFolder, List<JsonArray> toolLists)
    {
        foreach (var file in Directory.GetFiles(Path.Combine(dataFolder, "bfcl"), "BFCL_*.json").Order(StringComparer.Ordinal))
        {
            var source = Path.GetFileNameWithoutExtension(file);
            if (source.Contains("multi_turn", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var item in JsonLines(file))
            {
                var tools = Tools(item["function"]!.AsArray());
                toolLists.Add(tools);
                var request = new JsonObject { ["model"] = "auto", ["messages"] = item["question"]![0]!.DeepClone(), ["tools"] = tools.DeepClone() };
                yield return new LabelledRequest($"bfcl/{source[8..]}", $"bfcl/{(string)item["id"]!}", Parse(request), true);
            }
        }
    }

    /// <summary>
    /// BFCL's multi-turn agent sessions: each user turn with the session's earlier turns as a transcript
    /// (each answered with the expected tool calls, their results and a short reply), and the step
    /// after the turn's first tool call, which answers its result.
    /// </summary>
    private static IEnumerable<LabelledRequest> AgentSessions(string dataFolder, Dictionary<string, JsonArray> toolSets)
    {
        var answers = JsonLines(Path.Combine(dataFolder, "bfcl", "possible_answer", "BFCL_v4_multi_turn_base.json"))
            .ToDictionary(item => (string)item["id"]!, item => item["ground_truth"]!.AsArray());
        foreach (var item in JsonLines(Path.Combine(dataFolder, "bfcl", "BFCL_v4_multi_turn_base.json")))
        {
            var id = (string)item["id"]!;
            var excluded = item["excluded_function"]?.AsArray().Select(name => (string)name!).ToHashSet() ?? [];
            var tools = new JsonArray(item["involved_classes"]!.AsArray()
                .SelectMany(name => toolSets[(string)name!])
                .Where(tool => !excluded.Contains((string)tool!["function"]!["name"]!))
                .Select(tool => tool!.DeepClone()).ToArray());
            var messages = new JsonArray();
            var turns = item["question"]!.AsArray();
            for (var turn = 0; turn < turns.Count; turn++)
            {
                foreach (var message in turns[turn]!.AsArray())
                {
                    messages.Add(message!.DeepClone());
                }

                yield return Step("bfcl/multi_turn", id, messages, tools);
                var calls = answers[id].Count > turn ? answers[id][turn]!.AsArray().Select(call => (string)call!).ToArray() : [];
                if (calls.Length == 0)
                {
                    continue;
                }

                var afterCall = messages.DeepClone().AsArray();
                AppendToolExchange(afterCall, calls[..1], turn);
                yield return Step("bfcl/multi_turn_tool_result", id, afterCall, tools);
                AppendToolExchange(messages, calls, turn);
                messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = "Done." });
            }
        }
    }

    private static LabelledRequest Step(string source, string group, JsonArray messages, JsonArray tools) =>
        new(source, $"bfcl/{group}", Parse(new JsonObject { ["model"] = "auto", ["messages"] = messages.DeepClone(), ["tools"] = tools.DeepClone() }), true);

    /// <summary>An assistant message calling the tools, and one result for each (the call's name and a plain success).</summary>
    private static void AppendToolExchange(JsonArray messages, string[] calls, int turn)
    {
        var toolCalls = new JsonArray();
        for (var i = 0; i < calls.Length; i++)
        {
            var name = calls[i][..calls[i].IndexOf('(', StringComparison.Ordinal)];
            toolCalls.Add(new JsonObject { ["id"] = $"call_{turn}_{i}", ["type"] = "function", ["function"] = new JsonObject { ["name"] = name, ["arguments"] = "{}" } });
        }

        messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = toolCalls });
        for (var i = 0; i < calls.Length; i++)
        {
            messages.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = $"call_{turn}_{i}", ["content"] = $"{{\"status\": \"ok\", \"call\": {JsonValue.Create(calls[i]).ToJsonString()}}}" });
        }
    }

    /// <summary>The tool sets of BFCL's multi-turn sessions, by the class name the sessions use.</summary>
    private static Dictionary<string, JsonArray> AgentToolSets(string dataFolder)
    {
        var files = new Dictionary<string, string>
        {
            ["GorillaFileSystem"] = "gorilla_file_system", ["MathAPI"] = "math_api", ["MessageAPI"] = "message_api",
            ["TwitterAPI"] = "posting_api", ["TicketAPI"] = "ticket_api", ["TradingBot"] = "trading_bot",
            ["TravelAPI"] = "travel_booking", ["VehicleControlAPI"] = "vehicle_control",
        };
        return files.ToDictionary(
            pair => pair.Key,
            pair => Tools(new JsonArray(JsonLines(Path.Combine(dataFolder, "bfcl", "multi_turn_func_doc", pair.Value + ".json")).Select(node => (JsonNode)node).ToArray())));
    }

    /// <summary>Hard asks, each as (source, group, messages).</summary>
    private static IEnumerable<(string Source, string Group, JsonArray Messages)> HardAsks(string dataFolder)
    {
        foreach (var item in JsonLines(Path.Combine(dataFolder, "mt_bench", "question.jsonl")))
        {
            var turns = item["turns"]!.AsArray().Select(turn => (string)turn!).ToArray();
            var (source, group) = ($"mt_bench/{(string)item["category"]!}", $"mt_bench/{(int)item["question_id"]!}");
            yield return (source, group, Conversation(turns[0]));
            if (turns.Length > 1)
            {
                yield return (source, group, Conversation(turns[0], "(the previous answer)", turns[1]));
            }
        }

        // Every twelfth GSM8K problem (623) and every sixth BIG-Bench Hard example (about 40 a task) keep the sources in proportion.
        var index = 0;
        foreach (var item in JsonLines(Path.Combine(dataFolder, "gsm8k", "train.jsonl")))
        {
            if (index++ % 12 == 0)
            {
                yield return ("gsm8k", $"gsm8k/{index}", Conversation((string)item["question"]!));
            }
        }

        foreach (var file in Directory.GetFiles(Path.Combine(dataFolder, "bbh"), "*.json").Order(StringComparer.Ordinal))
        {
            var task = Path.GetFileNameWithoutExtension(file);
            var examples = JsonNode.Parse(File.ReadAllText(file))!["examples"]!.AsArray();
            for (var i = 0; i < examples.Count; i += 6)
            {
                yield return ("bbh", $"bbh/{task}/{i}", Conversation((string)examples[i]!["input"]!));
            }
        }

        foreach (var item in JsonLines(Path.Combine(dataFolder, "humaneval", "HumanEval.jsonl")))
        {
            yield return ("humaneval", $"humaneval/{(string)item["task_id"]!}", Conversation("Complete this function:\n" + (string)item["prompt"]!));
        }

        foreach (var item in JsonLines(Path.Combine(dataFolder, "ifeval", "input_data.jsonl")))
        {
            yield return ("ifeval", $"ifeval/{(int)item["key"]!}", Conversation((string)item["prompt"]!));
        }
    }

    /// <summary>The ask bare, and with one of the tool lists attached (chosen by the ask's group, so reproducibly).</summary>
    private static IEnumerable<LabelledRequest> BareAndWithTools((string Source, string Group, JsonArray Messages) ask, List<JsonArray> toolLists)
    {
        yield return new LabelledRequest(ask.Source, ask.Group, Parse(new JsonObject { ["model"] = "auto", ["messages"] = ask.Messages.DeepClone() }), false);
        var tools = toolLists[(int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(ask.Group + "/tools"))) % (uint)toolLists.Count)];
        yield return new LabelledRequest(ask.Source + "+tools", ask.Group, Parse(new JsonObject { ["model"] = "auto", ["messages"] = ask.Messages.DeepClone(), ["tools"] = tools.DeepClone() }), false);
    }

    /// <summary>BFCL function definitions as OpenAI tools (dotted names with underscores).</summary>
    private static JsonArray Tools(JsonArray functions) => new(functions.Select(function => (JsonNode)new JsonObject
    {
        ["type"] = "function",
        ["function"] = new JsonObject
        {
            ["name"] = ((string)function!["name"]!).Replace('.', '_'),
            ["description"] = function["description"]?.DeepClone(),
            ["parameters"] = function["parameters"]?.DeepClone(),
        },
    }).ToArray());

    private static JsonArray Conversation(params string[] turns)
    {
        var messages = new JsonArray();
        for (var i = 0; i < turns.Length; i++)
        {
            messages.Add(new JsonObject { ["role"] = i % 2 == 0 ? "user" : "assistant", ["content"] = turns[i] });
        }

        return messages;
    }

    private static IEnumerable<JsonObject> JsonLines(string file) =>
        File.ReadLines(file).Where(line => line.Length > 0).Select(line => JsonNode.Parse(line)!.AsObject());

    internal static ChatCompletionRequest Parse(JsonObject json) =>
        JsonSerializer.Deserialize(json.ToJsonString(), WireJsonContext.Default.ChatCompletionRequest)!;
}
