using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Backends.Onnx.Guidance;

/// <summary>
/// Builds the JSON schemas handed to GenAI's constrained decoding (llguidance). The client's schema
/// is only ever narrowed, so whatever the model writes still validates against the original:
/// no whitespace between tokens (a weak model otherwise pads until its token limit), a length bound
/// on strings that have none, and no undeclared properties on objects that declare theirs.
/// </summary>
internal static class GuidanceSchema
{
    private static readonly string[] SchemaLists = ["anyOf", "oneOf", "allOf", "prefixItems"];
    private static readonly string[] SchemaMaps = ["properties", "$defs", "definitions", "patternProperties"];
    private static readonly string[] SchemaValues = ["items", "additionalProperties", "not", "contains"];

    public static string ForResponseFormat(ResponseFormat format, int maxStringLength) =>
        format.Type == "json_schema" && format.JsonSchema?.Schema is { ValueKind: JsonValueKind.Object } schema
            ? Finish(JsonNode.Parse(schema.GetRawText())!.AsObject(), maxStringLength)
            : Finish(new JsonObject { ["type"] = "object" }, maxStringLength);

    /// <summary>One call, <c>{"name": ..., "arguments": {...}}</c>, of the named tool or of any declared tool.</summary>
    public static string ForToolCall(IReadOnlyList<ToolDefinition> tools, string? onlyTool, int maxStringLength)
    {
        var choices = new JsonArray();
        foreach (var tool in tools.Where(tool => onlyTool is null || tool.Function!.Name == onlyTool))
        {
            var parameters = tool.Function!.Parameters is { ValueKind: JsonValueKind.Object } declared
                ? JsonNode.Parse(declared.GetRawText())!
                : new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
            choices.Add(new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["name"] = new JsonObject { ["const"] = tool.Function.Name },
                    ["arguments"] = parameters,
                },
                ["required"] = new JsonArray("name", "arguments"),
                ["additionalProperties"] = false,
            });
        }

        var root = choices.Count == 1 ? choices[0]!.DeepClone().AsObject() : new JsonObject { ["anyOf"] = choices };
        return Finish(root, maxStringLength);
    }

    private static string Finish(JsonObject root, int maxStringLength)
    {
        root.Remove("$schema");
        root.Remove("$id");
        Narrow(root, maxStringLength);
        root["x-guidance"] = new JsonObject { ["whitespace_flexible"] = false };
        return root.ToJsonString();
    }

    private static void Narrow(JsonNode? node, int maxStringLength)
    {
        if (node is not JsonObject schema)
        {
            return;
        }

        if (IsType(schema, "string") && !schema.ContainsKey("maxLength") && !schema.ContainsKey("enum")
            && !schema.ContainsKey("const") && !schema.ContainsKey("pattern") && !schema.ContainsKey("format"))
        {
            schema["maxLength"] = maxStringLength;
        }

        if (schema.ContainsKey("properties") && !schema.ContainsKey("additionalProperties") && !schema.ContainsKey("patternProperties"))
        {
            schema["additionalProperties"] = false;
        }

        foreach (var key in SchemaValues)
        {
            Narrow(schema[key], maxStringLength);
        }

        foreach (var key in SchemaLists)
        {
            if (schema[key] is JsonArray list)
            {
                foreach (var item in list)
                {
                    Narrow(item, maxStringLength);
                }
            }
        }

        foreach (var key in SchemaMaps)
        {
            if (schema[key] is JsonObject map)
            {
                foreach (var (_, value) in map)
                {
                    Narrow(value, maxStringLength);
                }
            }
        }
    }

    private static bool IsType(JsonObject schema, string type) => schema["type"] switch
    {
        JsonValue value => value.TryGetValue<string>(out var single) && single == type,
        JsonArray many => many.Any(item => item is JsonValue v && v.TryGetValue<string>(out var s) && s == type),
        _ => false,
    };
}
