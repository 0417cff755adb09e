using System.Net;
using System.Text;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.FunctionalTests.Local;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Reliability;

/// <summary>
/// Requests past the limits on the request line and headers (once Kestrel's own 414 and 431 with an
/// empty body) get OpenAI-shaped errors; a local generation that runs past its time budget ends as
/// at its token limit.
/// </summary>
public sealed class ProtocolLimitTests : GatewayTest
{
    protected override GatewaySettings Configure(string upstreamBaseUrl) =>
        new GatewaySettings().Upstream("primary", upstreamBaseUrl, "gpt-test")
            .LocalModel("tiny-random", TestModels.TinyRandom, ("MaxGenerationTime", "00:00:00.001"));

    [Fact]
    public async Task ALongRequestLine_Is414_WithAnErrorObject()
    {
        using var client = Gateway.CreateHttpClient();

        using var response = await client.PostAsync("/v1/chat/completions?x=" + new string('a', 12 * 1024), Json());

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.RequestUriTooLong);
        Assert.Equal(0, Upstream.RequestCount);
    }

    [Theory]
    [InlineData(150, 10)]
    [InlineData(4, 12 * 1024)]
    public async Task TooManyOrTooLargeHeaders_Are431_WithAnErrorObject(int count, int size)
    {
        using var client = Gateway.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json() };
        for (var i = 0; i < count; i++)
        {
            request.Headers.Add($"X-Extra-{i}", new string('v', size));
        }

        using var response = await client.SendAsync(request);

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.RequestHeaderFieldsTooLarge);
        Assert.Equal(0, Upstream.RequestCount);
    }

    [Fact]
    public async Task ALocalGenerationPastItsTimeBudget_EndsAsAtItsTokenLimit()
    {
        using var client = Gateway.CreateHttpClient();

        var (_, finish, body) = await LocalChat.CompleteAsync(client, LocalChat.Request(""","max_tokens":500"""));

        Assert.Equal("length", finish);
        Assert.True(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32() < 500);
    }

    private static StringContent Json() =>
        new("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");
}
