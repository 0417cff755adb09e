using System.Diagnostics;
using System.Net;
using System.Text;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.FunctionalTests.Local;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Routing;

/// <summary>
/// A candidate that has not produced its first token within <c>Routing:FirstTokenDeadline</c>, and
/// has sent nothing, is abandoned for the next one: a slow remote for the local model, a local model
/// whose slot is taken for the remote one.
/// </summary>
public sealed class FirstTokenDeadlineTests(LongContextModelFixture model) : IClassFixture<LongContextModelFixture>, IAsyncLifetime
{
    private const string Chat = """{"model":"auto","max_tokens":6,"messages":[{"role":"user","content":"Say hello."}]}""";
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task ASlowRemote_IsAbandonedForTheLocalModel()
    {
        _upstream.Handler = async (context, request, number) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted);
            await OpenAiResponses.DefaultAsync(context, request, number);
        };
        await using var gateway = new GatewayFactory(Settings());
        using var client = gateway.CreateHttpClient();
        using var request = Request(Chat, "remote");
        var clock = Stopwatch.StartNew();

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("local", "first_token_deadline"), (Header(response, "x-slmgw-route"), Header(response, "x-slmgw-reason")));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"answered after {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(1, _upstream.RequestCount);
    }

    [Fact]
    public async Task ALocalModelThatCannotStartInTime_IsAbandonedForTheRemoteModel_AndLeavesItsQueue()
    {
        await using var gateway = new GatewayFactory(Settings().Set("SlmGateway:Local:Models:0:QueueLength", "4"));
        using var client = gateway.CreateHttpClient();
        using var running = await LocalChat.PostAsync(
            client, LocalChat.Request($$""","max_tokens":{{LongContextModelFixture.MaxTokens}},"stream":true"""), HttpCompletionOption.ResponseHeadersRead);
        using (var reader = new SseReader(await running.Content.ReadAsStreamAsync()))
        {
            Assert.NotNull(await reader.NextAsync());
            var clock = Stopwatch.StartNew();

            using var request = Request(Chat, "local");
            using var response = await client.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(("remote", "first_token_deadline"), (Header(response, "x-slmgw-route"), Header(response, "x-slmgw-reason")));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"answered after {clock.Elapsed.TotalMilliseconds:F0} ms");
            Assert.Equal(0, (await LocalChat.LocalStateAsync(client, "tiny-random")).GetProperty("queued").GetInt32());
        }
    }

    private GatewaySettings Settings() =>
        new GatewaySettings()
            .LocalModel("tiny-random", model.Path, ("MaxConcurrency", "1"), ("MaxOutputTokens", LongContextModelFixture.MaxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini")
            .AutoRouting("tiny-random", "gpt-4o-mini")
            .Set("SlmGateway:Routing:FirstTokenDeadline", "00:00:00.500");

    private static HttpRequestMessage Request(string body, string route)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-slmgw-route", route);
        return request;
    }

    private static string Header(HttpResponseMessage response, string name) => response.Headers.GetValues(name).Single();
}
