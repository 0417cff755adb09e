using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Backends.Onnx.Guidance;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Backends.Onnx.Tests;

public sealed class GuidanceSchemaTests
{
    [Fact]
    public void ResponseSchema_IsNarrowed_NotChanged()
    {
        var format = Format("""
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Person", "type": "object",
             "properties": {"name": {"type": "string", "description": "full name"}, "code": {"type": "string", "maxLength": 3},
                            "tags": {"type": "array", "items": {"type": "string"}}},
             "required": ["name"]}
            """);

        var guided = JsonNode.Parse(GuidanceSchema.ForResponseFormat(format, new GuidanceLimits(40, 1024)))!;

        Assert.Null(guided["$schema"]);
        Assert.Equal("Person", (string?)guided["title"]);
        Assert.Equal(40, (int?)guided["properties"]!["name"]!["maxLength"]);
        Assert.Equal(3, (int?)guided["properties"]!["code"]!["maxLength"]);
        Assert.Equal(40, (int?)guided["properties"]!["tags"]!["items"]!["maxLength"]);
        Assert.False((bool?)guided["additionalProperties"]);
        Assert.False((bool?)guided["x-guidance"]!["whitespace_flexible"]);
    }

    [Fact]
    public void ToolCall_NamedChoice_AllowsOnlyThatTool()
    {
        var tools = new List<ToolDefinition>
        {
            Tool("a", """{"type": "object", "properties": {"x": {"type": "integer"}}}"""),
            Tool("b", """{"type": "object", "properties": {}}"""),
        };

        var guided = JsonNode.Parse(GuidanceSchema.ForToolCall(tools, "a", new GuidanceLimits(64, 1024)))!;

        Assert.Equal("a", (string?)guided["properties"]!["name"]!["const"]);
        Assert.Equal("integer", (string?)guided["properties"]!["arguments"]!["properties"]!["x"]!["type"]);
    }

    [Fact]
    public void ToolCall_AnyTool_IsAChoiceOfAll()
    {
        var tools = new List<ToolDefinition> { Tool("a", "{}"), Tool("b", "{}") };

        var guided = JsonNode.Parse(GuidanceSchema.ForToolCall(tools, null, new GuidanceLimits(64, 1024)))!;

        Assert.Equal(["a", "b"], guided["anyOf"]!.AsArray().Select(choice => (string?)choice!["properties"]!["name"]!["const"]));
    }

    [Fact]
    public void Numbers_WithoutBounds_StayWithinSafeIntegers_AndCountsWithinTheTokenLimit()
    {
        var format = Format("""
            {"type": "object", "properties": {"n": {"type": "number"}, "i": {"type": "integer", "minimum": 0},
             "big": {"type": "number", "minimum": 1e20}, "list": {"type": "array", "items": {"type": "integer"}, "maxItems": 100000}}}
            """);

        var guided = JsonNode.Parse(GuidanceSchema.ForResponseFormat(format, new GuidanceLimits(40, 512)))!["properties"]!;

        Assert.Equal(-9007199254740991d, (double?)guided["n"]!["minimum"]);
        Assert.Equal(9007199254740991d, (double?)guided["n"]!["maximum"]);
        Assert.Equal(0d, (double?)guided["i"]!["minimum"]);
        Assert.Equal(9007199254740991d, (double?)guided["i"]!["maximum"]);
        Assert.Null(guided["big"]!["maximum"]);
        Assert.Equal(512d, (double?)guided["list"]!["maxItems"]);
    }

    public static TheoryData<string, string> RefusedSchemas => new()
    {
        { """{"type": "array", "minItems": 1000000000}""", "#/minItems" },
        { """{"type": "object", "properties": {"a": {"type": "object", "minProperties": 5000}}}""", "minProperties" },
        { """{"type": "string", "pattern": "^(?=a)a+$"}""", "look-around" },
        { """{"type": "string", "pattern": "^(a)\\1$"}""", "back-reference" },
        { """{"type": "object", "patternProperties": {"(?<=x)y": {}}}""", "look-around" },
        { """{"type": "object", "properties": {"a": {"type": "string"}}, "properties": {"b": {}}}""", "twice" },
        { """{"type": "array", "minItems": 1024, "prefixItems": [{"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}, {"type": "array", "minItems": 1024}]}""", "add up" },
        { """{"type": 5}""", "not a valid JSON schema" },
        { Nested(40), "deeper" },
    };

    [Theory]
    [MemberData(nameof(RefusedSchemas))]
    public void SchemaCheck_RefusesWhatTheEngineCannotTakeSafely(string schema, string reason)
    {
        var problem = SchemaCheck.Problem(JsonDocument.Parse(schema).RootElement, 1024);

        Assert.NotNull(problem);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type": "array", "items": {"type": "integer"}, "minItems": 3, "maxItems": 1000000000}""")]
    [InlineData("""{"type": "string", "pattern": "^[a-z]+\\d{2}$", "minLength": 100000}""")]
    [InlineData("""{"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "t", "type": "object", "properties": {"x": {"enum": [1, 2, 3]}}}""")]
    public void SchemaCheck_TakesOrdinarySchemas(string schema) =>
        Assert.Null(SchemaCheck.Problem(JsonDocument.Parse(schema).RootElement, 1024));

    private static string Nested(int depth) =>
        string.Concat(Enumerable.Repeat("""{"type": "array", "items": """, depth)) + "{}" + new string('}', depth);

    private static ResponseFormat Format(string schema) =>
        new() { Type = "json_schema", JsonSchema = new JsonSchemaFormat { Name = "response", Schema = RawJsonValue.From(JsonDocument.Parse(schema).RootElement) } };

    private static ToolDefinition Tool(string name, string parameters) =>
        new() { Type = "function", Function = new FunctionDefinition { Name = name, Parameters = RawJsonValue.From(JsonDocument.Parse(parameters).RootElement) } };
}
