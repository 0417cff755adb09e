using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Reliability;

/// <summary>
/// What crosses the gateway between client and provider: only an allow-list of the client's headers
/// goes upstream (never its Host, cookies or OpenAI organisation), and the provider's key never comes
/// back to the client, whatever an upstream echoes into its answers, errors included.
/// </summary>
public sealed class UpstreamHygieneTests : GatewayTest
{
    private const string ProviderKey = "sk-provider-secret-0123456789abcdef";
    private const string Body = """{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}""";

    protected override GatewaySettings Configure(string upstreamBaseUrl)
    {
        Environment.SetEnvironmentVariable("SLMGW_TEST_HYGIENE_KEY", ProviderKey);
        return new GatewaySettings().Upstream("primary", upstreamBaseUrl, ["gpt-test"], o =>
        {
            o["ApiKeyEnv"] = "SLMGW_TEST_HYGIENE_KEY";
            o["Retry:MaxRetries"] = "1";
        });
    }

    [Fact]
    public async Task OnlyAllowedClientHeaders_GoUpstream_AndHostIsTheUpstreams()
    {
        using var client = Gateway.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        request.Headers.Host = "gateway.example.com";
        request.Headers.Add("OpenAI-Organization", "org-client");
        request.Headers.Add("OpenAI-Project", "proj-client");
        request.Headers.Add("Cookie", "session=1");
        request.Headers.Add("X-Forwarded-For", "10.0.0.1");
        request.Headers.Add("X-Internal-Token", "internal");
        request.Headers.Add("Authorization", "Bearer client-key");
        request.Headers.Add("User-Agent", "OpenAI/JS 6.49.0");
        request.Headers.Add("X-Stainless-Lang", "js");
        request.Headers.Add("OpenAI-Beta", "assistants=v2");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(Upstream.Requests);
        Assert.Equal(new Uri(Upstream.Address).Authority, seen.Header("Host"));
        foreach (var header in (string[])["OpenAI-Organization", "OpenAI-Project", "Cookie", "X-Forwarded-For", "X-Internal-Token"])
        {
            Assert.True(seen.Header(header) is null, $"{header} was forwarded");
        }

        Assert.Equal("Bearer " + ProviderKey, seen.Header("Authorization"));
        Assert.Equal("OpenAI/JS 6.49.0", seen.Header("User-Agent"));
        Assert.Equal("js", seen.Header("X-Stainless-Lang"));
        Assert.Equal("assistants=v2", seen.Header("OpenAI-Beta"));
        Assert.StartsWith("application/json", seen.Header("Content-Type"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500, HttpStatusCode.BadGateway)]
    [InlineData(429, HttpStatusCode.TooManyRequests)]
    [InlineData(400, HttpStatusCode.BadRequest)]
    [InlineData(401, HttpStatusCode.Unauthorized)]
    [InlineData(200, HttpStatusCode.OK)]
    public async Task AnUpstreamThatEchoesTheRequestHeaders_NeverHandsTheKeyToTheClient(int upstreamStatus, HttpStatusCode clientStatus)
    {
        Upstream.Handler = (context, request, _) => OpenAiResponses.WriteJsonAsync(
            context.Response, upstreamStatus, OpenAiResponses.Error($"Rejected request with headers: Authorization: {request.Header("Authorization")}", "invalid_request_error"));
        using var client = Gateway.CreateHttpClient();

        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(Body, Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(clientStatus, response.StatusCode);
        Assert.DoesNotContain(ProviderKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("0123456789abcdef", text, StringComparison.Ordinal);
        Assert.Contains("Bearer ***", text, StringComparison.Ordinal);
        JsonDocument.Parse(text).Dispose();
    }

    [Fact]
    public async Task AStreamThatEchoesTheKey_IsMasked_AndStaysAValidStream()
    {
        Upstream.Handler = (context, request, _) => OpenAiResponses.WriteSseAsync(context.Response,
        [
            OpenAiResponses.Chunk("gpt-test", $$"""{"role":"assistant","content":"{{request.Header("Authorization")}}"}""", null),
            OpenAiResponses.Chunk("gpt-test", "{}", "stop"),
        ]);
        using var client = Gateway.CreateHttpClient();

        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(Body.Replace("}]}", "}],\"stream\":true}", StringComparison.Ordinal), Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(ProviderKey, text, StringComparison.Ordinal);
        using var reader = new SseReader(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        var events = await reader.ReadAllAsync();
        Assert.Equal("[DONE]", events[^1]);
        Assert.All(events[..^1], data => JsonDocument.Parse(data).Dispose());
    }
}
