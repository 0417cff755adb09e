using System.Text.Json;
using SlmGateway.Backends.Onnx.ToolCalls;

namespace SlmGateway.Backends.Onnx.Tests;

/// <summary>Each family's tool-call syntax, read from text as the real models write it.</summary>
public sealed class ToolCallSyntaxTests
{
    [Fact]
    public void Hermes_ReadsEveryCall_AndKeepsSurroundingText()
    {
        var text = """
            Let me check both.
            <tool_call>
            {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}
            </tool_call>
            <tool_call>
            {"name": "get_time", "arguments": {"zone": "CET"}}
            </tool_call>
            """;

        var parsed = ToolCallSyntaxes.Find("qwen")!.Parse(text);

        Assert.Equal("Let me check both.", parsed.Content);
        Assert.Collection(
            parsed.Calls,
            call => AssertCall(call, "get_weather", """{"city": "Paris", "days": 2}"""),
            call => AssertCall(call, "get_time", """{"zone": "CET"}"""));
    }

    [Fact]
    public void Hermes_ReadsACallWhoseClosingTagWasCutOff()
    {
        var parsed = ToolCallSyntaxes.Find("qwen")!.Parse("<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"id\": 7}}\n");

        Assert.Null(parsed.Content);
        AssertCall(Assert.Single(parsed.Calls), "lookup", """{"id": 7}""");
    }

    [Theory]
    [InlineData("<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"id\": </tool_call>")]
    [InlineData("<tool_call>\n{\"arguments\": {}}\n</tool_call>")]
    [InlineData("No tools needed: the answer is 4.")]
    public void Hermes_TextWithoutAWellFormedCall_IsAllContent(string text)
    {
        var parsed = ToolCallSyntaxes.Find("qwen")!.Parse(text);

        Assert.Equal(text, parsed.Content);
        Assert.Empty(parsed.Calls);
    }

    [Theory]
    [InlineData("qwen", "<tool_call>\n{\"name\": \"convert_units\", \"arguments\": {\"value\": 2, \"from_unit\": \"l\"}\n</to_unit\"valb{\"}\n</tool_call>", true)]
    [InlineData("qwen", "No tools needed: the answer is 4.", false)]
    [InlineData("llama3", "{\"name\": \"get_weather\", \"parameters\": {\"city\": ", true)]
    [InlineData("llama3", "It is sunny in Oslo.", false)]
    [InlineData("phi4", "<|tool_call|>[{\"name\": \"get_weather\", \"argu", true)]
    [InlineData("phi4", "It is sunny in Oslo.", false)]
    public void TextThatBeginsACallButDoesNotParse_IsABrokenCall(string family, string text, bool broken)
    {
        var syntax = ToolCallSyntaxes.Find(family)!;

        Assert.Empty(syntax.Parse(text).Calls);
        Assert.Equal(broken, syntax.BeginsCall(text));
    }

    [Theory]
    [InlineData("""{"name": "get_weather", "parameters": {"city": "Oslo"}}""")]
    [InlineData("""<|python_tag|>{"name": "get_weather", "parameters": {"city": "Oslo"}}""")]
    public void Llama3_ReadsTheWholeAnswerAsACall(string text)
    {
        var parsed = ToolCallSyntaxes.Find("llama3")!.Parse(text);

        Assert.Null(parsed.Content);
        AssertCall(Assert.Single(parsed.Calls), "get_weather", """{"city": "Oslo"}""");
    }

    [Fact]
    public void Llama3_ReadsCallsSeparatedBySemicolons()
    {
        var parsed = ToolCallSyntaxes.Find("llama3")!.Parse("""{"name": "a", "parameters": {"x": 1}}; {"name": "b", "parameters": {}}""");

        Assert.Equal(["a", "b"], parsed.Calls.Select(call => call.Name));
    }

    [Theory]
    [InlineData("The capital of Norway is Oslo.")]
    [InlineData("{\"city\": \"Oslo\"}")]
    public void Llama3_TextOrJsonThatIsNotACall_IsContent(string text)
    {
        var parsed = ToolCallSyntaxes.Find("llama3")!.Parse(text);

        Assert.Equal(text, parsed.Content);
        Assert.Empty(parsed.Calls);
    }

    [Theory]
    [InlineData("""<|tool_call|>[{"name": "search", "arguments": {"q": "onnx"}}]<|/tool_call|>""")]
    [InlineData("""[{"name": "search", "arguments": {"q": "onnx"}}]""")]
    public void Phi4_ReadsTheCallList_WithOrWithoutItsSpecialTokens(string text)
    {
        var parsed = ToolCallSyntaxes.Find("phi4")!.Parse(text);

        Assert.Null(parsed.Content);
        AssertCall(Assert.Single(parsed.Calls), "search", """{"q": "onnx"}""");
    }

    [Fact]
    public void Phi4_ReadsSeveralCallsInOneList()
    {
        var parsed = ToolCallSyntaxes.Find("phi4")!.Parse("""<|tool_call|>[{"name": "a", "arguments": {}}, {"name": "b", "arguments": {"n": 2}}]<|/tool_call|>""");

        Assert.Equal(["a", "b"], parsed.Calls.Select(call => call.Name));
    }

    [Fact]
    public void UnknownFamily_IsNotFound() => Assert.Null(ToolCallSyntaxes.Find("gpt2"));

    private static void AssertCall(ParsedToolCall call, string name, string arguments)
    {
        Assert.Equal(name, call.Name);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(arguments).RootElement, JsonDocument.Parse(call.Arguments).RootElement), call.Arguments);
    }
}
