using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests;

/// <summary>Retries, timeouts, the circuit breaker and the fallback chain against an upstream that fails on demand.</summary>
public sealed class ResilienceTests : IAsyncLifetime
{
    private const string ChatBody = """{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}""";
    private const string StreamBody = """{"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"hi"}]}""";
    private FakeUpstream _primary = null!;
    private FakeUpstream _secondary = null!;

    public async Task InitializeAsync()
    {
        _primary = await FakeUpstream.StartAsync();
        _secondary = await FakeUpstream.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _primary.DisposeAsync();
        await _secondary.DisposeAsync();
    }

    [Fact]
    public async Task ServerErrorThenSuccess_IsRetriedOnce()
    {
        _primary.Handler = (context, request, number) => number == 1
            ? OpenAiResponses.WriteJsonAsync(context.Response, 500, OpenAiResponses.Error("boom", "server_error"))
            : OpenAiResponses.DefaultAsync(context, request, number);
        await using var gateway = Gateway(_primary);

        using var response = await Post(gateway, ChatBody);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(OpenAiResponses.DefaultContent, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, _primary.RequestCount);
    }

    [Fact]
    public async Task RetryAfter_IsWaitedFor()
    {
        _primary.Handler = (context, request, number) => number == 1
            ? OpenAiResponses.WriteJsonAsync(context.Response, 429, OpenAiResponses.Error("slow down", "rate_limit_error"), new Dictionary<string, string> { ["Retry-After"] = "1" })
            : OpenAiResponses.DefaultAsync(context, request, number);
        await using var gateway = Gateway(_primary);
        var clock = Stopwatch.StartNew();

        using var response = await Post(gateway, ChatBody);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, _primary.RequestCount);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {clock.Elapsed.TotalMilliseconds} ms; Retry-After asked for 1 s");
    }

    [Fact]
    public async Task ExhaustedServerErrors_Become502()
    {
        _primary.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, 503, OpenAiResponses.Error("overloaded", "server_error"));
        await using var gateway = Gateway(_primary);

        using var response = await Post(gateway, ChatBody);

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadGateway);
        Assert.Contains("503", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, _primary.RequestCount);
    }

    [Fact]
    public async Task Exhausted429_IsPassedOnAs429()
    {
        _primary.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(
            context.Response, 429, OpenAiResponses.Error("You exceeded your quota", "insufficient_quota", "insufficient_quota"), new Dictionary<string, string> { ["Retry-After"] = "0" });
        await using var gateway = Gateway(_primary);

        using var response = await Post(gateway, ChatBody);

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.TooManyRequests);
        Assert.Equal("insufficient_quota", error.GetProperty("code").GetString());
        Assert.Equal(3, _primary.RequestCount);
    }

    [Fact]
    public async Task UpstreamClientError_PassesThroughUnchanged()
    {
        var upstreamError = OpenAiResponses.Error("This model's maximum context length is 8192 tokens.", "invalid_request_error", "context_length_exceeded");
        _primary.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, 400, upstreamError);
        await using var gateway = Gateway(_primary);

        using var response = await Post(gateway, ChatBody);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(upstreamError, await response.Content.ReadAsStringAsync());
        Assert.Equal(1, _primary.RequestCount);
    }

    [Fact]
    public async Task Breaker_OpensOnFailures_ThenHalfOpensAndCloses()
    {
        var healthy = false;
        _primary.Handler = (context, request, number) => Volatile.Read(ref healthy)
            ? OpenAiResponses.DefaultAsync(context, request, number)
            : OpenAiResponses.WriteJsonAsync(context.Response, 500, OpenAiResponses.Error("down", "server_error"));
        await using var gateway = Gateway(_primary, o =>
        {
            o["Retry:MaxRetries"] = "0";
            o["Breaker:MinimumThroughput"] = "2";
            o["Breaker:FailureRatio"] = "0.5";
            o["Breaker:BreakDuration"] = "00:00:00.800";
        });

        using (var first = await Post(gateway, ChatBody))
        using (var second = await Post(gateway, ChatBody))
        {
            Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
            Assert.Equal(HttpStatusCode.BadGateway, second.StatusCode);
        }

        using (var open = await Post(gateway, ChatBody))
        {
            await OpenAiErrorAssert.IsErrorAsync(open, HttpStatusCode.ServiceUnavailable);
            Assert.True(open.Headers.RetryAfter is not null, "an open circuit answers with Retry-After");
            Assert.Equal(2, _primary.RequestCount);
        }

        Volatile.Write(ref healthy, true);

        // Twice the break duration: on a busy machine a scheduling pause can eat a tighter margin.
        await Task.Delay(TimeSpan.FromMilliseconds(1600));
        using (var trial = await Post(gateway, ChatBody))
        using (var after = await Post(gateway, ChatBody))
        {
            Assert.Equal(HttpStatusCode.OK, trial.StatusCode);
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
            Assert.Equal(4, _primary.RequestCount);
        }
    }

    [Fact]
    public async Task StreamCutMidway_EndsWithErrorEvent_AndIsNotRetried()
    {
        _primary.Handler = (context, _, _) => OpenAiResponses.WriteThenCutAsync(context, OpenAiResponses.TextChunks("gpt-test", "one two three", false).Take(2));
        await using var gateway = Gateway(_primary);
        using var client = gateway.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(StreamBody) };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new SseReader(await response.Content.ReadAsStreamAsync());
        var (events, broke) = await reader.ReadUntilEndOrBreakAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(broke, "the client must not see a clean end of a broken stream");
        Assert.Equal(3, events.Count);
        Assert.Equal("upstream_stream_broken", JsonDocument.Parse(events[^1]).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.DoesNotContain("[DONE]", events);
        Assert.Equal(1, _primary.RequestCount);
    }

    [Fact]
    public async Task SlowUpstream_Answers504WithinTheFirstByteBound()
    {
        _primary.Handler = async (context, request, number) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
            await OpenAiResponses.DefaultAsync(context, request, number);
        };
        await using var gateway = Gateway(_primary, o =>
        {
            o["Retry:MaxRetries"] = "0";
            o["Timeouts:FirstByte"] = "00:00:00.300";
        });
        var clock = Stopwatch.StartNew();

        using var response = await Post(gateway, ChatBody);

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.GatewayTimeout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"504 after {clock.Elapsed.TotalMilliseconds} ms; bound was 300 ms");
    }

    [Fact]
    public async Task TotalTimeoutMidStream_EndsWithTimeoutErrorEvent()
    {
        _primary.Handler = (context, _, _) => OpenAiResponses.WriteSseAsync(
            context.Response, Enumerable.Repeat(OpenAiResponses.Chunk("gpt-test", """{"content":"x"}""", null), 100), delay: TimeSpan.FromMilliseconds(50));
        await using var gateway = Gateway(_primary, o => o["Timeouts:Total"] = "00:00:00.600");
        using var client = gateway.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(StreamBody) };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new SseReader(await response.Content.ReadAsStreamAsync());
        var (events, broke) = await reader.ReadUntilEndOrBreakAsync();

        Assert.True(broke, "a timed-out stream must not end cleanly");
        Assert.InRange(events.Count, 2, 99);
        Assert.Equal("upstream_timeout", JsonDocument.Parse(events[^1]).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(1, _primary.RequestCount);
    }

    [Fact]
    public async Task ClientAbort_CancelsTheUpstreamCall()
    {
        _primary.Handler = (context, _, _) => OpenAiResponses.WriteSseAsync(
            context.Response, Enumerable.Repeat(OpenAiResponses.Chunk("gpt-test", """{"content":"x"}""", null), 200), delay: TimeSpan.FromMilliseconds(100));
        await using var gateway = Gateway(_primary);
        using var client = gateway.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(StreamBody) };

        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new SseReader(await response.Content.ReadAsStreamAsync());
            Assert.NotNull(await reader.NextAsync());
        }

        client.CancelPendingRequests();
        var aborted = await Task.WhenAny(_primary.RequestAborted.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.Same(_primary.RequestAborted.Task, aborted);
    }

    [Fact]
    public async Task RefusedConnection_FallsBackToTheNextUpstream()
    {
        await using var gateway = new GatewayFactory(new GatewaySettings()
            .Upstream("dead", FreePort.RefusingBaseUrl(), "gpt-test")
            .Upstream("backup", _secondary.BaseUrl, "gpt-test"));

        using var response = await Post(gateway, ChatBody);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("backup", response.Headers.GetValues("x-slmgw-upstream").Single());
        Assert.Equal(1, _secondary.RequestCount);
    }

    [Fact]
    public async Task ExhaustedServerErrors_FallBackToTheNextUpstreamWithItsModelName()
    {
        _primary.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, 500, OpenAiResponses.Error("down", "server_error"));
        await using var gateway = new GatewayFactory(new GatewaySettings()
            .Upstream("primary", _primary.BaseUrl, "gpt-test")
            .Upstream("backup", _secondary.BaseUrl, "gpt-test=backup-model"));

        using var response = await Post(gateway, ChatBody);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, _primary.RequestCount);
        using var sent = Assert.Single(_secondary.Requests).Json();
        Assert.Equal("backup-model", sent.RootElement.GetProperty("model").GetString());
    }

    private static GatewayFactory Gateway(FakeUpstream upstream, Action<Dictionary<string, string?>>? extra = null) =>
        new(new GatewaySettings().Upstream("primary", upstream.BaseUrl, ["gpt-test"], extra ?? (_ => { })));

    private static async Task<HttpResponseMessage> Post(GatewayFactory gateway, string body)
    {
        using var client = gateway.CreateHttpClient();
        return await client.PostAsync("/v1/chat/completions", Json(body));
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
