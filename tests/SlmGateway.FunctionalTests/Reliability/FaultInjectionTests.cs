using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;
using Xunit.Abstractions;

namespace SlmGateway.FunctionalTests.Reliability;

/// <summary>
/// The gateway against an upstream that fails in every way a provider can (after the public failover
/// conformance suites for LLM gateways): each fault has one documented answer (README, "Upstream
/// faults"), reached within the answer deadline, with a bounded number of attempts. Retries 2, first
/// byte 1 s, idle 1 s, answer deadline 3 s.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class FaultInjectionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Chat = """{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}""";
    private const string StreamChat = """{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"stream":true}""";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(3);
    private static readonly string FirstChunk = OpenAiResponses.Chunk("gpt-test", """{"role":"assistant","content":"Hel"}""", null);

    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync(record: false);

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task Refused_Is502_AtOnce()
    {
        var result = await RunAsync(Chat, FreePort.RefusingBaseUrl());

        Assert.Equal(502, result.Status);
        Assert.Equal("upstream_error", result.ErrorCode);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(2), result.ToString());
    }

    [Fact]
    public async Task ResetBeforeHeaders_IsRetried_Then502()
    {
        _upstream.Handler = (context, _, _) =>
        {
            context.Abort();
            return Task.CompletedTask;
        };

        var result = await RunAsync(Chat);

        Assert.Equal((502, 3), (result.Status, _upstream.RequestCount));
    }

    [Fact]
    public async Task SlowHeaders_Are504_WithinTheDeadline()
    {
        _upstream.Handler = async (context, request, number) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5), context.RequestAborted);
            await OpenAiResponses.DefaultAsync(context, request, number);
        };

        var result = await RunAsync(Chat);

        Assert.Equal((504, "upstream_timeout"), (result.Status, result.ErrorCode));
        Assert.InRange(_upstream.RequestCount, 2, 3);
        Assert.True(result.Elapsed < Deadline + TimeSpan.FromSeconds(0.5), result.ToString());
    }

    [Fact]
    public async Task NoHeadersEver_Is504_AtTheDeadline_NotAtRetriesTimesTheTimeout()
    {
        _upstream.Handler = (context, _, _) => Task.Delay(Timeout.Infinite, context.RequestAborted);

        var result = await RunAsync(Chat, firstByte: "00:00:10", idle: "00:00:10");

        Assert.Equal(504, result.Status);
        Assert.Equal(1, _upstream.RequestCount);
        Assert.True(result.Elapsed >= Deadline - TimeSpan.FromMilliseconds(100) && result.Elapsed < Deadline + TimeSpan.FromSeconds(0.5), result.ToString());
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task ServerErrors_AreRetried_Then502(int status)
    {
        _upstream.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, status, OpenAiResponses.Error("down", "server_error"));

        var result = await RunAsync(Chat);

        Assert.Equal((502, 3), (result.Status, _upstream.RequestCount));
        Assert.Contains("down", result.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooManyRequests_WithRetryAfter_IsWaitedFor_Then429WithRetryAfter()
    {
        _upstream.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(
            context.Response, 429, OpenAiResponses.Error("slow down", "rate_limit_error"), new Dictionary<string, string> { ["Retry-After"] = "1" });

        var result = await RunAsync(Chat);

        // Two waits of a second fit the 3 s deadline on an idle machine; when the deadline ends the second wait, the last 429 is the answer.
        Assert.Equal(429, result.Status);
        Assert.InRange(_upstream.RequestCount, 2, 3);
        Assert.NotNull(result.RetryAfter);
        Assert.True(result.Elapsed >= TimeSpan.FromSeconds(1.9), result.ToString());
    }

    [Fact]
    public async Task TooManyRequests_WithoutRetryAfter_IsRetried_Then429()
    {
        _upstream.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, 429, OpenAiResponses.Error("slow down", "rate_limit_error"));

        var result = await RunAsync(Chat);

        Assert.Equal((429, 3, "slow down"), (result.Status, _upstream.RequestCount, result.ErrorMessage));
    }

    [Fact]
    public async Task StreamCutBeforeTheFirstChunk_IsRetried_Then502()
    {
        _upstream.Handler = async (context, _, _) =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.Body.FlushAsync();
            await Task.Delay(100);
            context.Abort();
        };

        var result = await RunAsync(StreamChat);

        Assert.Equal((502, 3), (result.Status, _upstream.RequestCount));
    }

    [Fact]
    public async Task StreamCutAfterTheFirstChunk_EndsWithAnErrorEvent_AndACutConnection()
    {
        _upstream.Handler = (context, _, _) => OpenAiResponses.WriteThenCutAsync(context, [FirstChunk]);

        var result = await RunAsync(StreamChat);

        AssertBrokenStream(result, "upstream_stream_broken");
    }

    [Fact]
    public async Task StreamCutMidEvent_DropsTheHalfEvent_ThenAnErrorEvent()
    {
        _upstream.Handler = async (context, _, _) =>
        {
            await OpenAiResponses.WriteSseAsync(context.Response, [FirstChunk], done: false);
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.comp"));
            await context.Response.Body.FlushAsync();
            await Task.Delay(200);
            context.Abort();
        };

        var result = await RunAsync(StreamChat);

        AssertBrokenStream(result, "upstream_stream_broken");
    }

    [Fact]
    public async Task StreamStalledBeforeTheFirstChunk_IsRetried_Then504()
    {
        _upstream.Handler = async (context, _, _) =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        };

        var result = await RunAsync(StreamChat);

        // Once headers have come, a silent body is bounded by the idle timeout (1 s), which may run past the deadline once.
        Assert.Equal(504, result.Status);
        Assert.InRange(_upstream.RequestCount, 2, 3);
        Assert.True(result.Elapsed < Deadline + TimeSpan.FromSeconds(1.5), result.ToString());
    }

    [Fact]
    public async Task StreamStalledAfterTheFirstChunk_EndsWithATimeoutEvent()
    {
        _upstream.Handler = async (context, _, _) =>
        {
            await OpenAiResponses.WriteSseAsync(context.Response, [FirstChunk], done: false);
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        };

        var result = await RunAsync(StreamChat);

        AssertBrokenStream(result, "upstream_timeout");
    }

    [Fact]
    public async Task StreamStalledMidEvent_DropsTheHalfEvent_ThenATimeoutEvent()
    {
        _upstream.Handler = async (context, _, _) =>
        {
            await OpenAiResponses.WriteSseAsync(context.Response, [FirstChunk], done: false);
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("data: {\"id\":\"chatcmpl-fake\",\"obj"));
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        };

        var result = await RunAsync(StreamChat);

        AssertBrokenStream(result, "upstream_timeout");
    }

    [Fact]
    public async Task StreamStalledInItsFirstEvent_WithoutStreamOptions_IsCommitted_NotRetriedIntoTheSameResponse()
    {
        _upstream.Handler = async (context, _, _) =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("data: {\"id\":\"chatcmpl-fake\",\"obj"));
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        };

        var result = await RunAsync(StreamChat);

        Assert.Equal((200, 1), (result.Status, _upstream.RequestCount));
        Assert.StartsWith("text/event-stream", result.ContentType, StringComparison.Ordinal);
        var error = Assert.Single(result.Events);
        Assert.Equal("upstream_timeout", JsonDocument.Parse(error).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task MalformedEvents_PassThroughAsTheProviderSentThem()
    {
        _upstream.Handler = (context, _, _) => OpenAiResponses.WriteSseAsync(context.Response, ["not json", FirstChunk]);

        var result = await RunAsync(StreamChat);

        Assert.Equal(200, result.Status);
        Assert.Equal(["not json", FirstChunk, "[DONE]"], result.Events);
    }

    [Fact]
    public async Task TruncatedJson_CutsTheConnection_NeverPassesAsComplete()
    {
        _upstream.Handler = async (context, _, _) =>
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = 1000;
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("{\"id\":\"chatcmpl-fake\",\"choices\":["));
            await context.Response.Body.FlushAsync();
            await Task.Delay(200);
            context.Abort();
        };

        var result = await RunAsync(Chat);

        Assert.True(result.Broke, result.ToString());
        Assert.Equal(1, _upstream.RequestCount);
    }

    [Theory]
    [InlineData("text/html", 200)]
    [InlineData(null, 302)]
    public async Task AnswersNoClientCanTake_Are502_NotRetried(string? contentType, int status)
    {
        _upstream.Handler = async (context, _, _) =>
        {
            context.Response.StatusCode = status;
            if (status == 302)
            {
                context.Response.Headers.Location = "http://169.254.169.254/latest/meta-data/";
            }
            else
            {
                context.Response.ContentType = contentType;
                await context.Response.WriteAsync("<html>captive portal</html>");
            }
        };

        var result = await RunAsync(Chat);

        Assert.Equal((502, "upstream_invalid_response", 1), (result.Status, result.ErrorCode, _upstream.RequestCount));
        Assert.DoesNotContain("captive", result.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHugeAnswer_PassesThroughWhole()
    {
        var content = new string('x', 30 * 1024 * 1024);
        _upstream.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, 200, OpenAiResponses.ChatCompletion("gpt-test", content));

        // The fake provider serialises the 30 MB answer before its headers leave: on a slow machine that took
        // over the 1 s first-byte and idle timeouts the fault tests use, which this test is not about.
        var result = await RunAsync(Chat, firstByte: "00:00:30", idle: "00:00:30", deadline: TimeSpan.FromSeconds(60));

        Assert.Equal(200, result.Status);
        using var body = JsonDocument.Parse(result.Body);
        Assert.Equal(content.Length, body.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!.Length);
    }

    private static void AssertBrokenStream(Result result, string code)
    {
        Assert.Equal(200, result.Status);
        Assert.True(result.Broke, "a broken stream must not end cleanly");
        Assert.Equal(2, result.Events.Count);
        JsonDocument.Parse(result.Events[0]).Dispose();
        Assert.Equal(code, JsonDocument.Parse(result.Events[1]).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    private async Task<Result> RunAsync(string body, string? baseUrl = null, string firstByte = "00:00:01", string idle = "00:00:01", TimeSpan? deadline = null)
    {
        await using var gateway = new GatewayFactory(new GatewaySettings()
            .Upstream("primary", baseUrl ?? _upstream.BaseUrl, ["gpt-test"], o =>
            {
                o["Timeouts:FirstByte"] = firstByte;
                o["Timeouts:Idle"] = idle;
                o["Breaker:MinimumThroughput"] = "100";
            })
            .Set("SlmGateway:Remote:AnswerDeadline", (deadline ?? Deadline).ToString()));
        using var client = gateway.CreateHttpClient();
        var clock = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var result = new Result((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), response.Headers.RetryAfter?.ToString());
        if (result.ContentType?.StartsWith("text/event-stream", StringComparison.Ordinal) == true)
        {
            using var reader = new SseReader(await response.Content.ReadAsStreamAsync());
            (result.Events, result.Broke) = await reader.ReadUntilEndOrBreakAsync();
        }
        else
        {
            try
            {
                result.Body = await response.Content.ReadAsStringAsync();
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                result.Broke = true;
            }
        }

        result.Elapsed = clock.Elapsed;
        output.WriteLine($"{result} after {_upstream.RequestCount} upstream attempts");
        return result;
    }

    private sealed class Result(int status, string? contentType, string? retryAfter)
    {
        public int Status { get; } = status;

        public string? ContentType { get; } = contentType;

        public string? RetryAfter { get; } = retryAfter;

        public string Body { get; set; } = string.Empty;

        public List<string> Events { get; set; } = [];

        public bool Broke { get; set; }

        public TimeSpan Elapsed { get; set; }

        public string? ErrorCode => Error?.GetProperty("code").GetString();

        public string? ErrorMessage => Error?.GetProperty("message").GetString();

        private JsonElement? Error => Body.StartsWith('{') && JsonDocument.Parse(Body).RootElement.TryGetProperty("error", out var error) ? error : null;

        public override string ToString() =>
            $"HTTP {Status} {ContentType} in {Elapsed.TotalMilliseconds:F0} ms, broke: {Broke}, events: {Events.Count}, body: {(Body.Length > 200 ? Body[..200] : Body)}";
    }
}
