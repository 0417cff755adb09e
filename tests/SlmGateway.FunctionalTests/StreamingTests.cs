using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests;

/// <summary>Streaming failures seen in other gateways, each of which must not happen here.</summary>
public sealed class StreamingTests : GatewayTest
{

    protected override GatewaySettings Configure(string upstreamBaseUrl)
    {
        return new GatewaySettings().Upstream("primary", upstreamBaseUrl, "gpt-test");
    }

    [Fact]
    public async Task WholeToolCallInOneDelta_KeepsIdAndName()
    {
        Upstream.Handler = (context, _, _) => OpenAiResponses.WriteSseAsync(context.Response,
        [
            OpenAiResponses.Chunk("gpt-test", """{"role":"assistant","content":null}""", null),
            OpenAiResponses.Chunk("gpt-test", """{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}},{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{}"}}]}""", null),
            OpenAiResponses.Chunk("gpt-test", "{}", "tool_calls"),
        ]);
        var calls = new Dictionary<int, (string? Id, string? Name, StringBuilder Arguments)>();

        await foreach (var update in Sdk.Chat(Gateway, "gpt-test").CompleteChatStreamingAsync([new UserChatMessage("weather and time")]))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                var entry = calls.TryGetValue(call.Index, out var existing) ? existing : (null, null, new StringBuilder());
                entry.Id ??= call.ToolCallId;
                entry.Name ??= call.FunctionName;
                entry.Arguments.Append(call.FunctionArgumentsUpdate?.ToString());
                calls[call.Index] = entry;
            }
        }

        Assert.Equal(2, calls.Count);
        Assert.Equal(("call_a", "get_weather"), (calls[0].Id, calls[0].Name));
        Assert.Equal("Oslo", JsonDocument.Parse(calls[0].Arguments.ToString()).RootElement.GetProperty("city").GetString());
        Assert.Equal(("call_b", "get_time"), (calls[1].Id, calls[1].Name));
    }

    [Fact]
    public async Task ErrorInTheMiddleOfAStream_ReachesTheClientAsAnError()
    {
        Upstream.Handler = (context, _, _) => OpenAiResponses.WriteSseAsync(
            context.Response,
            [
                OpenAiResponses.Chunk("gpt-test", """{"role":"assistant","content":"par"}""", null),
                OpenAiResponses.Error("The server had an error while processing your request.", "server_error", "500"),
            ],
            done: false);

        var events = await ReadRawStreamAsync();

        Assert.Equal(2, events.Count);
        var error = JsonDocument.Parse(events[1]).RootElement.GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal("500", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task UpstreamCut_IsNotACleanEndForTheSdk()
    {
        Upstream.Handler = (context, _, _) => OpenAiResponses.WriteThenCutAsync(context, OpenAiResponses.TextChunks("gpt-test", "one two three", false).Take(2));
        var received = new StringBuilder();

        var thrown = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var update in Sdk.Chat(Gateway, "gpt-test").CompleteChatStreamingAsync([new UserChatMessage("hi")]))
            {
                foreach (var part in update.ContentUpdate)
                {
                    received.Append(part.Text);
                }
            }
        });
        Assert.True("one " == received.ToString(), thrown.ToString());
    }

    [Fact]
    public async Task IncludeUsage_DoesNotHoldBackToolCallArguments()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Upstream.Handler = async (context, _, _) =>
        {
            await OpenAiResponses.WriteSseAsync(context.Response,
            [
                OpenAiResponses.Chunk("gpt-test", """{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"lookup","arguments":""}}]}""", null),
                OpenAiResponses.Chunk("gpt-test", """{"tool_calls":[{"index":0,"function":{"arguments":"{\"q\":\"x\"}"}}]}""", null),
            ], done: false);
            await release.Task.WaitAsync(context.RequestAborted);
            await OpenAiResponses.WriteEventAsync(context.Response, OpenAiResponses.Chunk("gpt-test", "{}", "tool_calls"));
            await OpenAiResponses.WriteEventAsync(context.Response, OpenAiResponses.UsageChunk("gpt-test"));
            await OpenAiResponses.WriteEventAsync(context.Response, "[DONE]");
        };
        using var client = Gateway.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-test","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"lookup"}}]}""", Encoding.UTF8, "application/json"),
        };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new SseReader(await response.Content.ReadAsStreamAsync());
        using var beforeRelease = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var first = await reader.NextAsync(beforeRelease.Token);
        var second = await reader.NextAsync(beforeRelease.Token);
        release.SetResult();
        var rest = await reader.ReadAllAsync();

        Assert.Contains("call_1", first, StringComparison.Ordinal);
        Assert.Contains("\\\"q\\\"", second, StringComparison.Ordinal);
        Assert.Equal(3, rest.Count);
        Assert.Equal("[DONE]", rest[^1]);
    }

    [Fact]
    public async Task StreamedResponse_IsAnEventStreamWithEveryChunkInOrder()
    {
        var events = await ReadRawStreamAsync();

        Assert.Equal(OpenAiResponses.TextChunks("gpt-test", OpenAiResponses.DefaultContent, false).Append("[DONE]"), events);
    }

    [Fact]
    public async Task UsageIsAskedOfTheUpstream_ForCounting_AndNotShownToAClientThatDidNotAsk()
    {
        var events = await ReadRawStreamAsync();

        using var forwarded = Assert.Single(Upstream.Requests).Json();
        Assert.True(forwarded.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.DoesNotContain(events, data => data.Contains("\"usage\"", StringComparison.Ordinal));
        Assert.Equal("[DONE]", events[^1]);
    }

    private async Task<List<string>> ReadRawStreamAsync()
    {
        using var client = Gateway.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new SseReader(await response.Content.ReadAsStreamAsync());
        return await reader.ReadAllAsync();
    }
}
