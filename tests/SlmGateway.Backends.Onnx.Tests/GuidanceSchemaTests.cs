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

        var guided = JsonNode.Parse(GuidanceSchema.ForResponseFormat(format, 40))!;

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

        var guided = JsonNode.Parse(GuidanceSchema.ForToolCall(tools, "a", 64))!;

        Assert.Equal("a", (string?)guided["properties"]!["name"]!["const"]);
        Assert.Equal("integer", (string?)guided["properties"]!["arguments"]!["properties"]!["x"]!["type"]);
    }

    [Fact]
    public void ToolCall_AnyTool_IsAChoiceOfAll()
    {
        var tools = new List<ToolDefinition> { Tool("a", "{}"), Tool("b", "{}") };

        var guided = JsonNode.Parse(GuidanceSchema.ForToolCall(tools, null, 64))!;

        Assert.Equal(["a", "b"], guided["anyOf"]!.AsArray().Select(choice => (string?)choice!["properties"]!["name"]!["const"]));
    }

    private static ResponseFormat Format(string schema) =>
        new() { Type = "json_schema", JsonSchema = new JsonSchemaFormat { Name = "response", Schema = JsonDocument.Parse(schema).RootElement } };

    private static ToolDefinition Tool(string name, string parameters) =>
        new() { Type = "function", Function = new FunctionDefinition { Name = name, Parameters = JsonDocument.Parse(parameters).RootElement } };
}
