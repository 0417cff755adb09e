using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Host.Limits;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Limits;

/// <summary>
/// Per-key request and token rate limits and spend budgets: in one process by default, and across
/// replicas that share a real Redis; and what happens when Redis does not answer.
/// Each answer of the fake provider uses 8 tokens (5 in, 3 out); at the price set here that is 0.008 USD.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class KeyLimitsTests(RedisServer redis) : IAsyncLifetime
{
    private const string Chat = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""";
    private const string StreamedChat = """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""";
    private readonly string _key = $"key-{Guid.NewGuid():N}";
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task AKeysRequestLimit_HoldsAcrossThreeReplicasSharingRedis()
    {
        var settings = Shared(("RequestsPerMinute", "5"));
        await using var a = new GatewayFactory(settings);
        await using var b = new GatewayFactory(settings);
        await using var c = new GatewayFactory(settings);
        await MinuteWindow.AwayFromItsEndAsync();

        // Each replica answers once before the nine are sent at once, so that they fall in one minute.
        foreach (var gateway in new[] { a, b, c })
        {
            using var client = gateway.CreateHttpClient();
            using var ready = await client.GetAsync("/readyz");
        }

        var responses = await Task.WhenAll(Enumerable.Repeat<GatewayFactory[]>([a, b, c], 3).SelectMany(g => g).Select(PostAsync));
        var statuses = responses.Select(r => r.StatusCode).ToList();
        foreach (var response in responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests))
        {
            var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.TooManyRequests);
            Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        }

        foreach (var response in responses)
        {
            response.Dispose();
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(4, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(5, _upstream.RequestCount);
    }

    [Fact]
    public async Task ADailyBudget_StopsTheKeyAcrossReplicas_AtItsLimit()
    {
        var settings = Shared(("DailyBudgetUsd", "0.02")).Set("SlmGateway:Routing:Prices:gpt-4o-mini:InputPerMillion", "1000").Set("SlmGateway:Routing:Prices:gpt-4o-mini:OutputPerMillion", "1000");
        await using var a = new GatewayFactory(settings);
        await using var b = new GatewayFactory(settings);

        // 0.008 USD each: after three (0.024 USD) the budget of 0.02 USD is spent. Spend is counted
        // before an answer's last bytes go out, so the fourth request finds the third counted.
        var served = 0;
        HttpResponseMessage refused;
        while ((refused = await PostAsync(served % 2 == 0 ? a : b)).StatusCode == HttpStatusCode.OK)
        {
            refused.Dispose();
            served++;
            Assert.True(served <= 3, "the budget did not stop the key");
        }

        Assert.Equal(3, served);
        var error = await OpenAiErrorAssert.IsErrorAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.Equal(("insufficient_quota", "insufficient_quota"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        Assert.Contains("daily budget", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(served, _upstream.RequestCount);
        refused.Dispose();
    }

    [Fact]
    public async Task ATokenLimit_RefusesOnceTheMinutesTokensAreUsed()
    {
        await using var gateway = new GatewayFactory(Shared(("TokensPerMinute", "20")));
        await MinuteWindow.AwayFromItsEndAsync();

        // 8, then 16 tokens used: both under 20; the third finds 24.
        for (var i = 0; i < 3; i++)
        {
            using var served = await PostAsync(gateway);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        using var refused = await PostAsync(gateway);
        var error = await OpenAiErrorAssert.IsErrorAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.Contains("Token rate limit", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ATokenLimit_SeesEachAnswerCounted_WhenTheNextRequestFollowsItAtOnce(bool stream)
    {
        // Counting takes 300 ms, far longer than the client takes to send its next request.
        await using var gateway = new GatewayFactory(Settings(("TokensPerMinute", "20")),
            faults: services => services.AddSingleton<IKeyLimits>(new HeldCountingLimits(() => Task.Delay(300))));
        await MinuteWindow.AwayFromItsEndAsync();
        var body = stream ? StreamedChat : Chat;

        // As the OpenAI SDKs do, a stream is read to its [DONE] event, not to the end of the response.
        for (var i = 0; i < 3; i++)
        {
            using var client = gateway.CreateHttpClient();
            using var request = Request(body);
            using var served = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            if (stream)
            {
                using var events = new SseReader(await served.Content.ReadAsStreamAsync());
                string? data;
                do
                {
                    data = await events.NextAsync();
                }
                while (data is not null && data != "[DONE]");
                Assert.Equal("[DONE]", data);
            }
            else
            {
                Assert.Contains("\"usage\"", await served.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }

        using var refused = await PostAsync(gateway, body);
        var error = await OpenAiErrorAssert.IsErrorAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.Contains("Token rate limit", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStreamedAnswer_ReachesTheClientWhileItIsCounted_AndOnlyItsEndWaits()
    {
        var counting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var gateway = new GatewayFactory(Settings(("TokensPerMinute", "1000")),
            faults: services => services.AddSingleton<IKeyLimits>(new HeldCountingLimits(() => counting.Task)));
        using var client = gateway.CreateHttpClient();
        using var request = Request(StreamedChat);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var events = new SseReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        string? data;
        while ((data = await events.NextAsync(timeout.Token)) is not null && !data.Contains("\"finish_reason\":\"stop\"", StringComparison.Ordinal))
        {
            Assert.NotEqual("[DONE]", data);
        }

        Assert.NotNull(data);
        var end = events.NextAsync(timeout.Token);
        await Task.Delay(200);
        var endedUncounted = end.IsCompleted;
        counting.SetResult();
        Assert.False(endedUncounted, "the stream ended before its tokens were counted");
        Assert.Equal("[DONE]", await end);
        Assert.Null(await events.NextAsync(timeout.Token));
    }

    [Fact]
    public async Task InOneProcess_TheSameLimitsHold_WithoutRedis()
    {
        await using var gateway = new GatewayFactory(Settings(("RequestsPerMinute", "2"), ("DailyBudgetUsd", "100")));
        await MinuteWindow.AwayFromItsEndAsync();

        using var first = await PostAsync(gateway);
        using var second = await PostAsync(gateway);
        using var third = await PostAsync(gateway);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        await OpenAiErrorAssert.IsErrorAsync(third, HttpStatusCode.TooManyRequests);
    }

    [Theory]
    [InlineData("open", HttpStatusCode.OK)]
    [InlineData("closed", HttpStatusCode.ServiceUnavailable)]
    public async Task WhenRedisDoesNotAnswer_ThePolicyDecides(string policy, HttpStatusCode expected)
    {
        await using var gateway = new GatewayFactory(Settings(("RequestsPerMinute", "100"))
            .Set("SlmGateway:Limits:Store", "redis")
            .Set("SlmGateway:Limits:Redis", $"127.0.0.1:{FreePort.Next()}")
            .Set("SlmGateway:Limits:WhenUnavailable", policy));

        using var response = await PostAsync(gateway);

        Assert.Equal(expected, response.StatusCode);
        if (expected != HttpStatusCode.OK)
        {
            var error = await OpenAiErrorAssert.IsErrorAsync(response, expected);
            Assert.Equal("service_unavailable", error.GetProperty("code").GetString());
        }

        using var client = gateway.CreateHttpClient();
        Assert.Matches($"slmgw_limits_unavailable_total{{[^}}]*outcome=\"{(policy == "open" ? "allowed" : "refused")}\"", await client.GetStringAsync("/metrics"));
    }

    /// <summary>Redis shared, given time to answer and failing closed: a slow answer on a busy machine shows as a 503, never as an uncounted request.</summary>
    private GatewaySettings Shared(params (string Name, string Value)[] limits) =>
        Settings(limits).Set("SlmGateway:Limits:Store", "redis").Set("SlmGateway:Limits:Redis", redis.Configuration)
            .Set("SlmGateway:Limits:Timeout", "00:00:05").Set("SlmGateway:Limits:WhenUnavailable", "closed");

    private GatewaySettings Settings(params (string Name, string Value)[] limits)
    {
        var settings = new GatewaySettings().Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini").ClientKey(_key, Sha256(_key));
        foreach (var (name, value) in limits)
        {
            settings.Set($"SlmGateway:Auth:Keys:0:{name}", value);
        }

        return settings;
    }

    private Task<HttpResponseMessage> PostAsync(GatewayFactory gateway) => PostAsync(gateway, Chat);

    /// <summary>Each request on a client of its own (a new connection), read to its end.</summary>
    private async Task<HttpResponseMessage> PostAsync(GatewayFactory gateway, string body)
    {
        using var client = gateway.CreateHttpClient();
        using var request = Request(body);
        return await client.SendAsync(request);
    }

    private HttpRequestMessage Request(string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _key);
        return request;
    }

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
