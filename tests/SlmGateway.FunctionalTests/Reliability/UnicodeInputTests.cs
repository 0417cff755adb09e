using System.Net;
using System.Text;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.FunctionalTests.Local;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Reliability;

/// <summary>
/// Strings that are not valid Unicode (an unpaired surrogate escape, raw bytes that are not UTF-8)
/// once answered 500 or went upstream unchecked: they are a 400 naming the field, on every route.
/// </summary>
public sealed class UnicodeInputTests : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;
    private GatewayFactory _gateway = null!;

    public static TheoryData<string, string, string> Bodies => new()
    {
        { "gpt-test", """{"model":"MODEL","messages":[{"role":"user","content":"a\ud800b"}]}""", "messages[0].content" },
        { "tiny-random", """{"model":"MODEL","messages":[{"role":"user","content":"a\ud800b"}]}""", "messages[0].content" },
        { "auto", """{"model":"MODEL","messages":[{"role":"user","content":"a\udc00b"}]}""", "messages[0].content" },
        { "tiny-random", """{"model":"MODEL","messages":[{"role":"user","content":[{"type":"text","text":"\ud800"}]}]}""", "messages[0].content[0].text" },
        { "auto", """{"model":"MODEL","messages":[{"role":"user","content":"hi"}],"stop":["\ud800"]}""", "stop[0]" },
        { "gpt-test", """{"model":"MODEL","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"\ud800"}}}""", "tool_choice.function.name" },
        { "tiny-random", """{"model":"MODEL","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"\ud800"}}}""", "tool_choice.function.name" },
        { "gpt-test", """{"model":"MODEL","input":"\ud800"}""", "input" },
    };

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        _gateway = new GatewayFactory(new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom)
            .Upstream("fake", _upstream.BaseUrl, "gpt-test")
            .AutoRouting("tiny-random", "gpt-test"));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task UnpairedSurrogates_Are400_OnEveryRoute(string model, string body, string param)
    {
        var path = body.Contains("\"input\"", StringComparison.Ordinal) ? "/v1/embeddings" : "/v1/chat/completions";

        await AssertRefusedAsync(path, Encoding.UTF8.GetBytes(body.Replace("MODEL", model, StringComparison.Ordinal)), param);
    }

    [Theory]
    [InlineData("gpt-test")]
    [InlineData("tiny-random")]
    [InlineData("auto")]
    public async Task RawBytesThatAreNotUtf8_Are400_OnEveryRoute(string model)
    {
        var body = Encoding.UTF8.GetBytes($$"""{"model":"{{model}}","messages":[{"role":"user","content":"caf#"}]}""");
        body[Array.IndexOf(body, (byte)'#')] = 0xE9;

        await AssertRefusedAsync("/v1/chat/completions", body, "messages[0].content");
    }

    private async Task AssertRefusedAsync(string path, byte[] body, string param)
    {
        using var client = _gateway.CreateHttpClient();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await client.PostAsync(path, content);

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(0, _upstream.RequestCount);
        var (answer, _, _) = await LocalChat.CompleteAsync(client, LocalChat.Request(""","max_tokens":3"""));
        Assert.False(string.IsNullOrEmpty(answer));
    }
}
