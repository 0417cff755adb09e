using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Contracts.Tests;

/// <summary><c>tool_choice</c>, read without a document: modes, a named function, and every other shape refused.</summary>
public sealed class ToolChoiceTests
{
    [Theory]
    [InlineData("none")]
    [InlineData("auto")]
    [InlineData("required")]
    public void AMode_IsReadAsItsString_AndAccepted(string mode)
    {
        var request = Parse($"\"{mode}\"");

        Assert.Equal(JsonValueKind.String, request.ToolChoice!.Kind);
        Assert.Equal(mode, request.ToolChoice.Mode);
        Assert.Null(request.ToolChoice.FunctionName);
        Assert.Null(ChatCompletionRequestValidator.Validate(request));
    }

    [Fact]
    public void ANamedFunction_IsFound_WhateverTheOrderAndTheOtherFields_AndTheRestOfTheBodyIsStillRead()
    {
        var request = Parse("""{"function":{"description":{"name":"no"},"name":"t","strict":[1,{"name":"no"}]},"type":"function","name":"no"}""");

        Assert.Equal(JsonValueKind.Object, request.ToolChoice!.Kind);
        Assert.Equal("t", request.ToolChoice.FunctionName);
        Assert.Equal(5, request.MaxTokens);
        Assert.Null(ChatCompletionRequestValidator.Validate(request));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("""["auto"]""")]
    [InlineData("""{"type":"function","name":"t"}""")]
    [InlineData("""{"type":"function","function":"t"}""")]
    [InlineData("""{"type":"function","function":{"name":["t"]}}""")]
    [InlineData("""{"type":"function","function":{"name":null}}""")]
    [InlineData("""{}""")]
    public void AnyOtherShape_IsRefusedAsAWrongType(string toolChoice)
    {
        var request = Parse(toolChoice);

        var error = ChatCompletionRequestValidator.Validate(request);

        Assert.Equal(400, error!.StatusCode);
        Assert.Equal("tool_choice", error.Error.Param);
        Assert.Equal("invalid_type", error.Error.Code);
        Assert.Equal(5, request.MaxTokens);
    }

    [Theory]
    [InlineData("\"auto\"", "\"auto\"")]
    [InlineData("""{"function":{"name":"t","x":1},"type":"function"}""", """{"type":"function","function":{"name":"t"}}""")]
    public void WrittenBack_ItIsInOpenAisForm(string toolChoice, string expected)
    {
        var written = JsonNode.Parse(JsonSerializer.Serialize(Parse(toolChoice), WireJsonContext.Default.ChatCompletionRequest))!;

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), written["tool_choice"]), written["tool_choice"]?.ToJsonString());
    }

    private static ChatCompletionRequest Parse(string toolChoice)
    {
        var body = $$$"""{"model":"m","messages":[{"role":"user","content":"u"}],"tools":[{"type":"function","function":{"name":"t"}}],"tool_choice":{{{toolChoice}}},"max_tokens":5}""";
        Assert.True(WireParser.TryParse(Encoding.UTF8.GetBytes(body), WireJsonContext.Default.ChatCompletionRequest, out var request, out var error), error?.Error.Message);
        return request!;
    }
}
