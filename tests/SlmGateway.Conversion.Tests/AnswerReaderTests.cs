using System.Text;
using SlmGateway.Conversion.Capture;

namespace SlmGateway.Conversion.Tests;

public sealed class AnswerReaderTests
{
    [Fact]
    public void StreamedToolCalls_AreJoinedByIndex_AndTheUsageChunkIsIgnored()
    {
        var stream = string.Concat(
            Data("""{"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]}"""),
            Data("""{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"""),
            Data("""{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\"tz\":"}}]}}]}"""),
            Data("""{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Paris\"}"}}]}}]}"""),
            Data("""{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"\"CET\"}"}}]}}]}"""),
            Data("""{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"""),
            Data("""{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}"""),
            "data: [DONE]\n\n");

        var message = AnswerReader.Read(Encoding.UTF8.GetBytes(stream), stream: true)!;

        Assert.Null(message["content"]);
        var calls = message["tool_calls"]!.AsArray();
        Assert.Equal(("call_a", "get_weather", """{"city":"Paris"}"""), ((string?)calls[0]!["id"], (string?)calls[0]!["function"]!["name"], (string?)calls[0]!["function"]!["arguments"]));
        Assert.Equal(("call_b", "get_time", """{"tz":"CET"}"""), ((string?)calls[1]!["id"], (string?)calls[1]!["function"]!["name"], (string?)calls[1]!["function"]!["arguments"]));
    }

    [Fact]
    public void JsonAnswer_IsTheFirstChoicesMessage()
    {
        var body = """{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null},"finish_reason":"stop"}]}""";

        var message = AnswerReader.Read(Encoding.UTF8.GetBytes(body), stream: false)!;

        Assert.Equal("""{"role":"assistant","content":"Hi"}""", message.ToJsonString());
    }

    [Theory]
    [InlineData("not json", false)]
    [InlineData("""{"choices":[]}""", false)]
    [InlineData("""{"error":{"message":"boom"}}""", false)]
    [InlineData("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":\"zero\"}]}}]}\n\n", true)]
    public void AnswerOfAnotherShape_IsNoAnswer(string body, bool stream) =>
        Assert.Null(AnswerReader.Read(Encoding.UTF8.GetBytes(body), stream));

    private static string Data(string json) => $"data: {json}\n\n";
}
