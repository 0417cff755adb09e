using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests;

/// <summary>Client keys stored as hashes, 401 for missing or wrong keys, per-key rate limits.</summary>
public sealed class ClientKeyTests : GatewayTest
{
    private const string TeamKey = "sk-team-a-0123456789";
    private const string LimitedKey = "sk-limited-abcdef";
    private const string ChatBody = """{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}""";

    protected override GatewaySettings Configure(string upstreamBaseUrl)
    {
        Environment.SetEnvironmentVariable("SLMGW_TEST_KEYS_UPSTREAM", "sk-provider-very-secret");
        return new GatewaySettings()
            .Upstream("primary", upstreamBaseUrl, ["gpt-test"], o => o["ApiKeyEnv"] = "SLMGW_TEST_KEYS_UPSTREAM")
            .ClientKey("team-a", Sha256(TeamKey))
            .ClientKey("limited", Sha256(LimitedKey), requestsPerMinute: 2);
    }

    [Fact]
    public async Task MissingKey_Answers401()
    {
        using var response = await PostAsync(key: null);

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal(0, Upstream.RequestCount);
    }

    [Fact]
    public async Task WrongKey_Answers401()
    {
        using var response = await PostAsync("sk-guess");

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(0, Upstream.RequestCount);
    }

    [Fact]
    public async Task RightKey_IsServed_AndNeverForwarded()
    {
        using var response = await PostAsync(TeamKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(Upstream.Requests);
        Assert.Equal("Bearer sk-provider-very-secret", received.Header("Authorization"));
        Assert.DoesNotContain(TeamKey, string.Join('\n', received.Headers.Values), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SdkWithRightKey_IsServed()
    {
        var completion = (await Sdk.Chat(Gateway, "gpt-test", TeamKey).CompleteChatAsync("hi")).Value;

        Assert.Equal(OpenAiResponses.DefaultContent, completion.Content[0].Text);
    }

    [Fact]
    public async Task RateLimitedKey_Answers429WithRetryAfter_OtherKeysUnaffected()
    {
        using (var first = await PostAsync(LimitedKey))
        using (var second = await PostAsync(LimitedKey))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        using var third = await PostAsync(LimitedKey);
        using var other = await PostAsync(TeamKey);

        var error = await OpenAiErrorAssert.IsErrorAsync(third, HttpStatusCode.TooManyRequests);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.True(third.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After must say when to come back");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(3, Upstream.RequestCount);
    }

    [Fact]
    public async Task HealthEndpoints_NeedNoKey()
    {
        using var client = Gateway.CreateHttpClient();

        using var health = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task UpstreamKey_NeverAppearsInAnswers()
    {
        Upstream.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, 500, OpenAiResponses.Error("internal", "server_error"));

        using var response = await PostAsync(TeamKey);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var everything = await response.Content.ReadAsStringAsync() + string.Join('\n', response.Headers.SelectMany(h => h.Value));
        Assert.DoesNotContain("sk-provider-very-secret", everything, StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> PostAsync(string? key)
    {
        using var client = Gateway.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(ChatBody, Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return await client.SendAsync(request);
    }

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
