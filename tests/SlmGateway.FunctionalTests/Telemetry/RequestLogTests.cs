using System.Net;
using System.Text;
using System.Text.Json;
using SlmGateway.Core.Execution;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Telemetry;

/// <summary>The request-completion log event, read from the gateway's own JSON output: one per request, each with its own values.</summary>
public sealed class RequestLogTests : IAsyncLifetime
{
    private const string Chat = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""";

    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync(record: false);

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task EachRequest_IsOneEvent_WithItsOwnStatusRouteAndRequestId()
    {
        await using var gateway = await GatewayProcess.StartAsync(
            "--SlmGateway:Logging:Json=true",
            "--SlmGateway:Remote:Upstreams:0:Name=fake",
            $"--SlmGateway:Remote:Upstreams:0:BaseUrl={_upstream.BaseUrl}",
            "--SlmGateway:Remote:Upstreams:0:Models:gpt-4o-mini=gpt-4o-mini");
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };

        var sent = new List<(string Path, int Status, string RequestId)>();
        foreach (var (path, body) in new[] { ("/v1/chat/completions", Chat), ("/v1/nowhere", Chat), ("/v1/chat/completions", Chat), ("/v1/chat/completions", "{") })
        {
            using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            sent.Add((path, (int)response.StatusCode, Assert.Single(response.Headers.GetValues(GatewayHeaders.RequestId))));
        }

        Assert.Equal([200, 404, 200, 400], sent.Select(request => request.Status));
        var events = await RequestEventsAsync(gateway, sent.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            var (path, status, requestId) = sent[i];
            var logged = events.Single(e => e.GetProperty("RequestId").GetString() == requestId);
            Assert.Equal(path, logged.GetProperty("RequestPath").GetString());
            Assert.Equal(status, logged.GetProperty("StatusCode").GetInt32());
            Assert.Equal(status == 200 ? "remote" : "none", logged.GetProperty("Route").GetString());
            Assert.Equal(status == 200 ? "fake" : "none", logged.GetProperty("Upstream").GetString());
            Assert.Equal(status == 200 ? 1 : 0, logged.GetProperty("Attempts").GetInt32());
        }
    }

    [Fact]
    public async Task TextOutsideTheBasicPlane_SurvivesBeingWrittenInPieces()
    {
        await using var gateway = await GatewayProcess.StartAsync("--SlmGateway:Logging:Json=true");
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };
        // Each path is 600 UTF-16 units of surrogate pairs; the events of 120 of them are buffered and
        // written in pieces, and a piece that ended between the two halves of a pair left replacement
        // characters in the output (three events of 120 when this test was written).
        var paths = Enumerable.Range(0, 120).Select(i => $"/v1/{i}/{string.Concat(Enumerable.Repeat("😀", 300))}").ToList();

        foreach (var path in paths)
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        var events = await RequestEventsAsync(gateway, paths.Count);
        Assert.Equal(paths.Order(StringComparer.Ordinal), events.Select(e => e.GetProperty("RequestPath").GetString()!).Order(StringComparer.Ordinal));
    }

    /// <summary>The events of requests to <c>/v1</c> the gateway has printed, once there are <paramref name="count"/> (output is written every 200 ms).</summary>
    private static async Task<List<JsonElement>> RequestEventsAsync(RunningGateway gateway, int count)
    {
        for (var attempt = 0; ; attempt++)
        {
            var events = gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(line => line.StartsWith('{'))
                .Select(line => JsonDocument.Parse(line).RootElement)
                .Where(e => e.TryGetProperty("SourceContext", out var source) && source.GetString() == "SlmGateway.Requests"
                    && e.GetProperty("RequestPath").GetString()!.StartsWith("/v1/", StringComparison.Ordinal))
                .ToList();
            if (events.Count >= count || attempt == 50)
            {
                Assert.True(events.Count == count, $"{events.Count} request events: {gateway.Output}");
                return events;
            }

            await Task.Delay(100);
        }
    }
}
