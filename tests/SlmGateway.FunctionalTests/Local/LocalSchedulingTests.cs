using System.Net;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Local;

/// <summary>One generation slot and no queue: what a busy model does with the next request, and what a leaving client frees.</summary>
public sealed class LocalSchedulingTests(LongContextModelFixture model) : IClassFixture<LongContextModelFixture>
{
    private static readonly string LongStream = LocalChat.Request($$""","max_tokens":{{LongContextModelFixture.MaxTokens}},"stream":true""");

    [Fact]
    public async Task ClientThatDisconnects_StopsItsGeneration_AndFreesTheSlot()
    {
        await using var gateway = new GatewayFactory(Settings());
        using var client = gateway.CreateHttpClient();

        using (var response = await LocalChat.PostAsync(client, LongStream, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new SseReader(await response.Content.ReadAsStreamAsync());
            Assert.NotNull(await reader.NextAsync());
            Assert.Equal(1, (await LocalChat.LocalStateAsync(client, "tiny-random")).GetProperty("active").GetInt32());
        }

        var state = await WaitForIdleAsync(client);
        Assert.Equal(1, state.GetProperty("cancelled").GetInt64());
        Assert.Equal(0, state.GetProperty("completed").GetInt64());
        var (_, finish, _) = await LocalChat.CompleteAsync(client, LocalChat.Request(""","max_tokens":4"""));
        Assert.Equal("length", finish);
    }

    [Fact]
    public async Task BusyModelWithNoRemote_Answers429_WithRetryAfter()
    {
        await using var gateway = new GatewayFactory(Settings());
        using var client = gateway.CreateHttpClient();
        using var running = await StartLongGenerationAsync(client);

        using var refused = await LocalChat.PostAsync(client, LocalChat.Request(""","max_tokens":4"""));

        var error = await OpenAiErrorAssert.IsErrorAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.Equal("model_overloaded", error.GetProperty("code").GetString());
        Assert.NotNull(refused.Headers.RetryAfter);
    }

    [Fact]
    public async Task BusyModelWithARemoteForItsName_SpillsToTheRemote()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var gateway = new GatewayFactory(Settings().Upstream("cloud", upstream.BaseUrl, "tiny-random=gpt-4o-mini"));
        using var client = gateway.CreateHttpClient();
        using var running = await StartLongGenerationAsync(client);

        using var spilled = await LocalChat.PostAsync(client, LocalChat.Request(""","max_tokens":4"""));

        Assert.Equal(HttpStatusCode.OK, spilled.StatusCode);
        Assert.Equal("remote", spilled.Headers.GetValues("x-slmgw-route").Single());
        Assert.Equal("spilled", spilled.Headers.GetValues("x-slmgw-reason").Single());
        Assert.Contains(OpenAiResponses.DefaultContent, await spilled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var forwarded = Assert.Single(upstream.Requests).Json();
        Assert.Equal("gpt-4o-mini", forwarded.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task PredictedWaitOverItsBound_SpillsToTheRemote_BeforeTheQueueIsFull()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var settings = Settings().Upstream("cloud", upstream.BaseUrl, "tiny-random=gpt-4o-mini")
            .Set("SlmGateway:Local:Models:0:QueueLength", "4")
            // One tick: a 4-token generation of the tiny model can take less than a millisecond, which made a 1 ms bound flaky.
            .Set("SlmGateway:Local:Models:0:MaxQueueWait", "00:00:00.0000001")
            .Set("SlmGateway:Routing:MinConfidenceMean", "-100");
        await using var gateway = new GatewayFactory(settings);
        using var client = gateway.CreateHttpClient();
        using (var first = await LocalChat.PostAsync(client, LocalChat.Request(""","max_tokens":4""")))
        {
            Assert.Equal("local", first.Headers.GetValues("x-slmgw-route").Single());
        }

        using var running = await StartLongGenerationAsync(client);
        using var spilled = await LocalChat.PostAsync(client, LocalChat.Request(""","max_tokens":4"""));

        Assert.Equal(("remote", "spilled"), (spilled.Headers.GetValues("x-slmgw-route").Single(), spilled.Headers.GetValues("x-slmgw-reason").Single()));
    }

    private GatewaySettings Settings() => new GatewaySettings().LocalModel(
        "tiny-random", model.Path, ("MaxConcurrency", "1"), ("QueueLength", "0"), ("MaxOutputTokens", LongContextModelFixture.MaxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A streamed generation that holds the only slot until the returned response is disposed.</summary>
    private static async Task<HttpResponseMessage> StartLongGenerationAsync(HttpClient client)
    {
        var response = await LocalChat.PostAsync(client, LongStream, HttpCompletionOption.ResponseHeadersRead);
        var reader = new SseReader(await response.Content.ReadAsStreamAsync());
        Assert.NotNull(await reader.NextAsync());
        return response;
    }

    private static async Task<System.Text.Json.JsonElement> WaitForIdleAsync(HttpClient client)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var state = await LocalChat.LocalStateAsync(client, "tiny-random");
            if (state.GetProperty("active").GetInt32() == 0)
            {
                return state;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("the generation slot was not freed within 5 s");
    }
}
