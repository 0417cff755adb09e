using System.Text;
using System.Text.Json;
using SlmGateway.Conversion.Capture;
using SlmGateway.Conversion.Clustering;
using SlmGateway.Conversion.Redaction;
using SlmGateway.Conversion.Store;
using SlmGateway.Tests.Common;

namespace SlmGateway.Conversion.Tests;

/// <summary>
/// A captured request is redacted in one pass over its JSON, with the texts it has seen before
/// remembered; what is stored is what redacting it as a tree gave, and its task hash is the one
/// earlier versions stored, so that calls captured before and after an upgrade still match.
/// </summary>
public sealed class CapturedRequestRedactionTests
{
    private static readonly LoopOptions Options = new();
    private readonly PiiRedactor _redactor = new(Microsoft.Extensions.Options.Options.Create(Options));
    private readonly CallProcessor _processor;

    public CapturedRequestRedactionTests()
    {
        var monitor = new TestOptionsMonitor<LoopOptions>(Options);
        _processor = new CallProcessor(_redactor, null!, new ClusterIndex(monitor), null!, monitor);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"mail bob@example.com, call +44 20 7946 0958"}]}""")]
    [InlineData("""{"mod\u0065l":"m","messages":[{"role":"user","content":"caf\u00e9 <b>&'\" \u2028 \ud83d\ude00 \/ key sk-proj-abcdefghijklmnopqrstuvwx1234"}]}""")]
    [InlineData("""{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"pay","arguments":"{\"card\":4111111111111111,\"email\":\"bob@example.com\",\"amount\":42.5}"}}]}],"seed":4111111111111111}""")]
    [InlineData("""{ "model" : "m", "messages" : [ {"role":"user","content":"spaces and numbers"} ], "n": -0.0, "top_p": 1.0e+0, "stop": null, "stream": false, "x": [true, [[{}]], []] }""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"schema"}],"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","type":"object"}}}}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"first"}],"messages":[{"role":"user","content":"second; mail bob@example.com"}]}""")]
    public void StoredRequest_IsWhatRedactingItAsATreeGives(string request)
    {
        var expected = _redactor.Redact(JsonTree.Parse(request))!.ToJsonString();

        // The second time, every text is one seen before.
        Assert.Equal(expected, Process(request).RequestJson);
        Assert.Equal(expected, Process(request).RequestJson);
    }

    [Theory]
    [InlineData("""{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Mail bob@example.com <now> caf\u00e9","refusal":null},"finish_reason":"stop"}]}""", false)]
    [InlineData("""{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"pay","arguments":"{\"card\":4111111111111111,\"note\":\"call +44 20 7946 0958\"}"}}]},"finish_reason":"tool_calls"}]}""", false)]
    [InlineData("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Mail bob@\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"example.com\"}}]}\n\ndata: [DONE]\n\n", true)]
    public void StoredAnswer_IsWhatRedactingItAsATreeGives(string response, bool stream)
    {
        var expected = _redactor.Redact(AnswerReader.Read(Encoding.UTF8.GetBytes(response), stream))!.ToJsonString();
        var call = new CapturedCall(DateTimeOffset.UnixEpoch, null, "m", "remote", "explicit_model", 200, 10, 5, 3, null, stream,
            Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"hi"}]}"""), Encoding.UTF8.GetBytes(response));

        Assert.Equal(expected, _processor.Process(call).Record.AnswerJson);
        Assert.Equal(expected, _processor.Process(call).Record.AnswerJson);
        Assert.DoesNotContain("bob@", expected, StringComparison.Ordinal);
    }

    /// <summary>Hashes stored by the version that redacted requests as trees (4c9c204), for the same requests.</summary>
    [Theory]
    [InlineData("""{"model": "m", "messages": [{"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "pay", "arguments": "{\"card\":4111111111111111,\"email\":\"bob@example.com\"}"}}]}, {"role": "user", "content": "caf\u00e9 <b>&'\" \u2028 \ud83d\ude00 key sk-proj-abcdefghijklmnopqrstuvwx1234"}], "response_format": null}""", "98087610d74c72fb0303d659d37dbfd4b0eed36e856363aa286428c210782853")]
    [InlineData("""{"mod\u0065l":"m","messages":[{"role":"user","content":"hi \u0041 \/ x"}],"tools":[]}""", "48269d58cc5cb2c84ce22a3ee36d202dc3a48b36fae39e427915b9b8f26c9ffa")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"dup"}],"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","type":"object"}}}}""", "5e330f5efe4173982c80867cf8a97e01395a6b19a8b6e514b25da85b2be0f2c7")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"dup top"}],"messages":[{"role":"user","content":"second"}]}""", "b2077d3ca995e3d1770f7d19421d6fbb9c8cf15197160934b7ba88a822ee4e8e")]
    public void TaskHash_IsTheOneEarlierVersionsStored(string request, string hash) =>
        Assert.Equal(hash, Process(request).RequestHash);

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    public void JsonThatIsNoObject_IsStoredWithoutItsBody(string request) =>
        Assert.Null(Process(request).RequestJson);

    [Theory]
    [InlineData("{\"model\":")]
    [InlineData("not json")]
    public void TextThatIsNoJson_IsRefused_SoTheWriterKeepsTheCallWithoutItsBodies(string request) =>
        Assert.ThrowsAny<JsonException>(() => Process(request));

    [Fact]
    public void ARememberedText_IsRedactedOnce_AndAFullMemoryStartsOver()
    {
        var redactions = 0;
        var remembered = new RememberedRedactions(text => { redactions++; return text.ToUpperInvariant(); }, maxChars: 20, TimeSpan.FromMinutes(5));

        Assert.Equal("ABCDE", remembered.Redact("abcde"));
        Assert.Equal("ABCDE", remembered.Redact("abcde"));
        Assert.Equal(1, redactions);

        Assert.Equal("FGHIJ", remembered.Redact("fghij"));
        Assert.Equal("KLMNO", remembered.Redact("klmno"));
        Assert.Equal("ABCDE", remembered.Redact("abcde"));
        Assert.Equal(4, redactions);
    }

    [Fact]
    public void NoTextIsRemembered_LongerThanItsAgeLimit()
    {
        var redactions = 0;
        var time = new ManualTime();
        var remembered = new RememberedRedactions(text => { redactions++; return text.ToUpperInvariant(); }, maxChars: 1000, TimeSpan.FromMinutes(5), time);

        remembered.Redact("abcde");
        time.Advance(TimeSpan.FromMinutes(4));
        remembered.Redact("fghij");
        remembered.Redact("abcde");
        Assert.Equal(2, redactions);

        // The oldest text is now over 5 minutes old: all are forgotten together, the newer one too.
        time.Advance(TimeSpan.FromMinutes(2));
        remembered.Redact("fghij");
        remembered.Redact("abcde");
        Assert.Equal(4, redactions);
    }

    private CaptureRecord Process(string request) =>
        _processor.Process(new CapturedCall(DateTimeOffset.UnixEpoch, null, "m", "remote", "explicit_model", 200, 10, 5, 3, null, false, Encoding.UTF8.GetBytes(request), null)).Record;
}
