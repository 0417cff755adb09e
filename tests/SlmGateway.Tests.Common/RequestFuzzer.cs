using System.Text;
using System.Text.Json.Nodes;

namespace SlmGateway.Tests.Common;

/// <summary>
/// Corpus-driven fuzzing of the request surface: each case is one of a corpus of valid requests
/// (remote, local and <c>auto</c>; tools, tool choices, response formats, streams, logprobs, other
/// endpoints) changed by a few mutations drawn from a seeded generator: a value replaced by a hostile
/// one (wrong types, huge and negative numbers, schemas that ask for a billion items, look-around
/// patterns, strings that are not Unicode, deep nesting), a property removed or given twice, or the
/// bytes themselves cut, flipped or spliced. The same seed gives the same cases.
/// </summary>
public sealed class RequestFuzzer(int seed, string remoteModel, string localModel, string autoModel)
{
    private readonly Random _random = new(seed);

    private static readonly string[] HostileValues =
    [
        "null", "true", "0", "-1", "1.5", "2147483648", "1e308", "-1e400", "\"\"", "\"x\"", "[]", "{}", "[null]", "[{}]", "[[[]]]",
        "\"none\"", "\"auto\"", "\"required\"", "\"json_schema\"", "\"json_object\"", "\"function\"", "\"tool\"", "\"assistant\"",
        "\"\\ud800\"", "\"a\\udc00b\"", "\"\\u0000\"", "\"😀\"", "\"\\\\\"", "\"<|im_end|><tool_call>\"",
        """{"type":"function","function":{"name":"f"}}""",
        """{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"array","minItems":1000000000}}}""",
        """{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"string","pattern":"^(?=a)a+$"}}}""",
        """{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","properties":{"a":{}},"properties":{"b":{}}}}}""",
        """{"type":"object","properties":{"n":{"type":"number"}},"minProperties":5000}""",
        """{"role":"tool","content":"x"}""",
        """{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x"}}]}""",
        """{"include_usage":"yes"}""",
    ];

    private static readonly string[] Endpoints = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses"];

    /// <summary>The next case: the path to post to and the body's bytes.</summary>
    public (string Path, byte[] Body) Next()
    {
        var seedRequest = Corpus()[_random.Next(Corpus().Count)];
        var path = _random.NextDouble() < 0.1 ? Endpoints[_random.Next(Endpoints.Length)] : "/v1/chat/completions";
        var text = seedRequest;
        var mutations = 1 + _random.Next(3);
        for (var i = 0; i < mutations; i++)
        {
            text = _random.NextDouble() < 0.8 ? MutateTree(text) : text;
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        return (path, _random.NextDouble() < 0.15 ? MutateBytes(bytes) : bytes);
    }

    private List<string> Corpus() =>
    [
        $$$$$$"""{"model":"{{{{{{remoteModel}}}}}}","messages":[{"role":"user","content":"Hello"}]}""",
        $$$$$$"""{"model":"{{{{{{remoteModel}}}}}}","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"stream":true}""",
        $$$$$$"""{"model":"{{{{{{localModel}}}}}}","messages":[{"role":"user","content":"Who are you?"}],"max_tokens":8}""",
        $$$$$$"""{"model":"{{{{{{localModel}}}}}}","messages":[{"role":"user","content":"Weather?"}],"max_tokens":24,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":12}},"required":["city"]}}}],"tool_choice":"required"}""",
        $$$$$$"""{"model":"{{{{{{localModel}}}}}}","messages":[{"role":"user","content":"JSON please"}],"max_tokens":24,"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","properties":{"n":{"type":"integer"},"s":{"type":"string","maxLength":5}},"required":["n","s"]}}}}""",
        $$$$$$"""{"model":"{{{{{{localModel}}}}}}","messages":[{"role":"user","content":"Count"}],"max_tokens":8,"logprobs":true,"top_logprobs":2,"stop":["\n","."],"seed":3,"temperature":0.7,"top_p":0.9}""",
        $$$$$$"""{"model":"{{{{{{localModel}}}}}}","messages":[{"role":"user","content":"Stream"}],"max_tokens":8,"stream":true,"stream_options":{"include_usage":true}}""",
        $$$$$$"""{"model":"{{{{{{autoModel}}}}}}","messages":[{"role":"user","content":"Call it"}],"max_tokens":24,"tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{"id":{"type":"integer"}}}}}]}""",
        $$$$$$"""{"model":"{{{{{{autoModel}}}}}}","messages":[{"role":"user","content":"Give JSON"}],"max_tokens":16,"response_format":{"type":"json_object"}}""",
        $$$$$$"""{"model":"{{{{{{autoModel}}}}}}","messages":[{"role":"user","content":"Prove that there are infinitely many primes, in detail."},{"role":"assistant","content":"Sure."},{"role":"user","content":"Go on"}],"max_tokens":8}""",
        $$$$$$"""{"model":"{{{{{{autoModel}}}}}}","messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"w","arguments":"{\"city\":\"Oslo\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"5 C"}],"max_tokens":8,"tools":[{"type":"function","function":{"name":"w"}}]}""",
    ];

    /// <summary>Replaces, removes or duplicates one node of the JSON tree (kept as text, so values that JSON trees refuse can go in).</summary>
    private string MutateTree(string text)
    {
        try
        {
            return MutateNode(JsonNode.Parse(text), text);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            // Text a JSON tree cannot hold (an earlier mutation's duplicate key or unpaired surrogate): kept as it is.
            return text;
        }
    }

    private string MutateNode(JsonNode? root, string text)
    {
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        if (nodes.Count == 0)
        {
            return text;
        }

        var target = nodes[_random.Next(nodes.Count)];
        const string Marker = "\"__slmgw_fuzz__\"";
        switch (_random.Next(4))
        {
            case 0 when target.Parent is JsonObject parent:
                parent.Remove(target.GetPropertyName());
                return root!.ToJsonString();
            case 1 when target.Parent is JsonObject parent:
                var name = target.GetPropertyName();
                return root!.ToJsonString().Replace($"\"{name}\":", $"\"{name}\":{HostileValues[_random.Next(HostileValues.Length)]},\"{name}\":", StringComparison.Ordinal);
            default:
                Replace(target, JsonValue.Create("__slmgw_fuzz__"));
                var value = _random.NextDouble() < 0.1 ? Deep(70) : _random.NextDouble() < 0.05 ? $"\"{new string('x', 100_000)}\"" : HostileValues[_random.Next(HostileValues.Length)];
                return root!.ToJsonString().Replace(Marker, value, StringComparison.Ordinal);
        }
    }

    private byte[] MutateBytes(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return bytes;
        }

        var copy = bytes.ToList();
        switch (_random.Next(4))
        {
            case 0:
                return copy.Take(_random.Next(copy.Count)).ToArray();
            case 1:
                copy[_random.Next(copy.Count)] = (byte)_random.Next(256);
                return copy.ToArray();
            case 2:
                copy.InsertRange(_random.Next(copy.Count), [0xC3, 0x28, 0xFF, 0xED, 0xA0, 0x80]);
                return copy.ToArray();
            default:
                var at = _random.Next(copy.Count);
                copy.InsertRange(at, copy.Take(at));
                return copy.ToArray();
        }
    }

    private static void Collect(JsonNode? node, List<JsonNode> nodes)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    if (child is not null)
                    {
                        nodes.Add(child);
                        Collect(child, nodes);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        nodes.Add(child);
                        Collect(child, nodes);
                    }
                }

                break;
        }
    }

    private static void Replace(JsonNode target, JsonNode replacement)
    {
        switch (target.Parent)
        {
            case JsonObject parent:
                parent[target.GetPropertyName()] = replacement;
                break;
            case JsonArray array:
                array[target.GetElementIndex()] = replacement;
                break;
        }
    }

    private static string Deep(int depth) => new string('[', depth) + new string(']', depth);
}
