using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Backends.Onnx.Guidance;

/// <summary>
/// Builds the JSON schemas handed to GenAI's constrained decoding (llguidance). The client's schema
/// is only ever narrowed, so whatever the model writes still validates against the original:
/// no whitespace between tokens (a weak model otherwise pads until its token limit), a length bound
/// on strings that have none, no undeclared properties on objects that declare theirs, counts
/// (<c>maxItems</c>, ...) no larger than the model can write, and numbers that every client reads:
/// within ±2^53 unless the schema bounds them (an unbounded number once came out as a literal that
/// JavaScript reads as <c>Infinity</c>). Check the schema with <see cref="SchemaCheck"/> first.
/// </summary>
internal static class GuidanceSchema
{
    private static readonly string[] SchemaLists = ["anyOf", "oneOf", "allOf", "prefixItems"];
    private static readonly string[] SchemaMaps = ["properties", "$defs", "definitions", "patternProperties"];
    private static readonly string[] SchemaValues = ["items", "additionalProperties", "not", "contains"];
    private const double SafeInteger = 9007199254740991;

    public static string ForResponseFormat(ResponseFormat format, GuidanceLimits limits) =>
        format.Type == "json_schema" && format.JsonSchema?.Schema is { Kind: JsonValueKind.Object } schema
            ? Finish(JsonNode.Parse(schema.Utf8.Span)!.AsObject(), limits)
            : Finish(new JsonObject { ["type"] = "object" }, limits);

    /// <summary>One call, <c>{"name": ..., "arguments": {...}}</c>, of the named tool or of any declared tool.</summary>
    public static string ForToolCall(IReadOnlyList<ToolDefinition> tools, string? onlyTool, GuidanceLimits limits)
    {
        var choices = new JsonArray();
        foreach (var tool in tools.Where(tool => onlyTool is null || tool.Function!.Name == onlyTool))
        {
            var parameters = tool.Function!.Parameters is { Kind: JsonValueKind.Object } declared
                ? JsonNode.Parse(declared.Utf8.Span)!
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
        return Finish(root, limits);
    }

    private static string Finish(JsonObject root, GuidanceLimits limits)
    {
        root.Remove("$schema");
        root.Remove("$id");
        Narrow(root, limits);
        root["x-guidance"] = new JsonObject { ["whitespace_flexible"] = false };
        return root.ToJsonString();
    }

    private static void Narrow(JsonNode? node, GuidanceLimits limits)
    {
        if (node is not JsonObject schema)
        {
            return;
        }

        if (IsType(schema, "string") && !schema.ContainsKey("maxLength") && !schema.ContainsKey("enum")
            && !schema.ContainsKey("const") && !schema.ContainsKey("pattern") && !schema.ContainsKey("format"))
        {
            schema["maxLength"] = limits.MaxStringLength;
        }

        if (IsType(schema, "number") || IsType(schema, "integer"))
        {
            BoundNumbers(schema);
        }

        foreach (var keyword in SchemaCheck.CountKeywords.Where(k => k.StartsWith("max", StringComparison.Ordinal)))
        {
            if (schema[keyword] is JsonValue count && count.TryGetValue<double>(out var value) && value > limits.MaxCount)
            {
                schema[keyword] = limits.MaxCount;
            }
        }

        if (schema.ContainsKey("properties") && !schema.ContainsKey("additionalProperties") && !schema.ContainsKey("patternProperties"))
        {
            schema["additionalProperties"] = false;
        }

        foreach (var key in SchemaValues)
        {
            Narrow(schema[key], limits);
        }

        foreach (var key in SchemaLists)
        {
            if (schema[key] is JsonArray list)
            {
                foreach (var item in list)
                {
                    Narrow(item, limits);
                }
            }
        }

        foreach (var key in SchemaMaps)
        {
            if (schema[key] is JsonObject map)
            {
                foreach (var (_, value) in map)
                {
                    Narrow(value, limits);
                }
            }
        }
    }

    /// <summary>Adds the missing side of ±2^53, unless the side the schema gives lies beyond it.</summary>
    private static void BoundNumbers(JsonObject schema)
    {
        var lower = Bound(schema, "minimum") ?? Bound(schema, "exclusiveMinimum");
        var upper = Bound(schema, "maximum") ?? Bound(schema, "exclusiveMaximum");
        if (lower is null && upper is not < -SafeInteger)
        {
            schema["minimum"] = -SafeInteger;
        }

        if (upper is null && lower is not > SafeInteger)
        {
            schema["maximum"] = SafeInteger;
        }
    }

    private static double? Bound(JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue value && value.TryGetValue<double>(out var bound) ? bound : null;

    private static bool IsType(JsonObject schema, string type) => schema["type"] switch
    {
        JsonValue value => value.TryGetValue<string>(out var single) && single == type,
        JsonArray many => many.Any(item => item is JsonValue v && v.TryGetValue<string>(out var s) && s == type),
        _ => false,
    };
}

/// <summary>The bounds constrained decoding adds: string length where a schema has none, and the largest count.</summary>
internal readonly record struct GuidanceLimits(int MaxStringLength, int MaxCount);
