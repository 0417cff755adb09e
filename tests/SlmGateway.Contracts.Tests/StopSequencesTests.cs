using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Contracts.Tests;

/// <summary><c>stop</c>, read straight into strings: one or an array of them, and every other shape refused.</summary>
public sealed class StopSequencesTests
{
    [Theory]
    [InlineData("\"END\"", new[] { "END" })]
    [InlineData("""["a","\n\u00e9"]""", new[] { "a", "\né" })]
    [InlineData("[]", new string[0])]
    public void StringsAreRead_AndAccepted(string stop, string[] expected)
    {
        var request = Parse(stop);

        Assert.Equal(expected, request.Stop!.Sequences);
        Assert.Null(ChatCompletionRequestValidator.Validate(request));
        Assert.Equal(5, request.MaxTokens);
    }

    [Theory]
    [InlineData("7", "invalid_type")]
    [InlineData("""{"a":"b"}""", "invalid_type")]
    [InlineData("false", "invalid_type")]
    [InlineData("""["a",7]""", "invalid_value")]
    [InlineData("""["a",["b"]]""", "invalid_value")]
    [InlineData("""[{"s":"a"}]""", "invalid_value")]
    [InlineData("""["a",""]""", "invalid_value")]
    [InlineData("""["a",null]""", "invalid_value")]
    [InlineData("""["a","b","c","d","e"]""", "invalid_value")]
    [InlineData("""["a","b","c","d",[1]]""", "invalid_value")]
    public void AnyOtherShape_IsRefused_AndTheRestOfTheBodyIsStillRead(string stop, string code)
    {
        var request = Parse(stop);

        var error = ChatCompletionRequestValidator.Validate(request);

        Assert.Equal(400, error!.StatusCode);
        Assert.Equal("stop", error.Error.Param);
        Assert.Equal(code, error.Error.Code);
        Assert.Equal(5, request.MaxTokens);
    }

    [Theory]
    [InlineData("\"END\"")]
    [InlineData("""["a","b"]""")]
    public void WrittenBack_ItIsTheSameValue(string stop)
    {
        var written = JsonNode.Parse(JsonSerializer.Serialize(Parse(stop), WireJsonContext.Default.ChatCompletionRequest))!;

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(stop), written["stop"]));
    }

    private static ChatCompletionRequest Parse(string stop)
    {
        var body = $$"""{"model":"m","messages":[{"role":"user","content":"u"}],"stop":{{stop}},"max_tokens":5}""";
        Assert.True(WireParser.TryParse(Encoding.UTF8.GetBytes(body), WireJsonContext.Default.ChatCompletionRequest, out var request, out var error), error?.Error.Message);
        return request!;
    }
}
