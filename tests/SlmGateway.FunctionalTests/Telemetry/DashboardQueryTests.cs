using System.Text.Json;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.FunctionalTests.Local;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Telemetry;

/// <summary>
/// Every PromQL expression of every Grafana dashboard (the routing overview's stat panels too) returns series from a real Prometheus that
/// scraped a gateway after a workload through every route: local, remote, escalated, spilled,
/// degraded fallback, retried and failed remote calls, captured and shadowed calls, and a promoted
/// task cluster.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class DashboardQueryTests(LongContextModelFixture longModel) : IClassFixture<LongContextModelFixture>
{
    private const string FailMarker = "please-fail-upstream";

    [Fact]
    public async Task EveryDashboardQuery_ReturnsSeries_AfterTrafficThroughEveryRoute()
    {
        var dashboards = Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "deploy", "grafana", "dashboards"), "*.json");
        Assert.Equal(7, dashboards.Length);
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Handler = (context, request, _) => System.Text.Encoding.UTF8.GetString(request.Body).Contains(FailMarker, StringComparison.Ordinal)
            ? OpenAiResponses.WriteJsonAsync(context.Response, 500, OpenAiResponses.Error("down", "server_error"))
            : OpenAiResponses.DefaultAsync(context, request, 0);
        var store = await LoopStore.CreateAsync("sqlite", null!);
        await using var gateway = new GatewayFactory(Settings(upstream.BaseUrl, store));
        await using var prometheus = await PrometheusServer.StartAsync(gateway.Address);

        await DriveEveryRouteAsync(gateway);
        await PromoteTheWeatherClusterAsync(gateway);
        await WaitForScrapesAsync(prometheus);

        var failures = new List<string>();
        foreach (var file in dashboards)
        {
            using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(file));
            Assert.Contains(dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray(), variable => variable.GetProperty("type").GetString() == "datasource");
            foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
            {
                // SQL panels read the trace store; RecentDecisionsDashboardTests runs them against PostgreSQL.
                foreach (var target in panel.GetProperty("targets").EnumerateArray().Where(target => target.TryGetProperty("expr", out _)))
                {
                    // Grafana fills $__rate_interval; Prometheus' API needs a duration.
                    var expression = target.GetProperty("expr").GetString()!.Replace("$__rate_interval", "1m", StringComparison.Ordinal);
                    var (series, error) = await prometheus.QueryAsync(expression);
                    if (series == 0)
                    {
                        failures.Add($"{Path.GetFileName(file)} / {panel.GetProperty("title").GetString()}: {expression} -> {error ?? "no series"}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    private GatewaySettings Settings(string upstreamBaseUrl, LoopStore store) => new GatewaySettings()
        .LocalModel("tiny-random", TestModels.TinyRandom)
        .LocalModel("tiny-unguided", TestModels.TinyRandom, ("Guidance", "false"))
        .LocalModel("tiny-long", longModel.Path, ("MaxConcurrency", "1"), ("QueueLength", "0"), ("MaxOutputTokens", "30000"))
        .Upstream("cloud", upstreamBaseUrl, "gpt-4o-mini", "tiny-unguided=gpt-4o-mini", "tiny-long=gpt-4o-mini")
        .AutoRouting("tiny-random", "gpt-4o-mini")
        .Set("SlmGateway:Routing:Prices:gpt-4o-mini:InputPerMillion", "0.15")
        .Set("SlmGateway:Routing:Prices:gpt-4o-mini:OutputPerMillion", "0.6")
        .Capture(store)
        .Set("SlmGateway:Loop:Shadow:SampleRate", "1")
        .Set("SlmGateway:Loop:Shadow:CpuBudget", "1")
        .Set("SlmGateway:Loop:Shadow:Models:0", "tiny-random");

    /// <summary>Once the calls so far are captured and shadowed, promotes the weather task by hand and sends it again.</summary>
    private static async Task PromoteTheWeatherClusterAsync(GatewayFactory gateway)
    {
        using var admin = new AdminClient(gateway);
        await admin.SettledCaptureAsync(8);
        for (var attempt = 0; attempt < 300 && (await admin.GetAsync("/admin/loop")).GetProperty("shadow").GetProperty("evaluated").GetInt64() == 0; attempt++)
        {
            await Task.Delay(100);
        }

        foreach (var cluster in (await admin.GetAsync("/admin/clusters")).GetProperty("data").EnumerateArray()
            .Where(c => c.GetProperty("tools").EnumerateArray().Any(t => t.GetString() == "get_weather")))
        {
            await admin.PostAsync($"/admin/clusters/{cluster.GetProperty("id").GetInt64()}/promote", """{"model":"tiny-random"}""");
        }

        using var client = gateway.CreateHttpClient();
        using var response = await LocalChat.PostAsync(client, WeatherInOslo);
        Assert.Equal("cluster_promoted", response.Headers.GetValues("x-slmgw-reason").Single());
    }

    private const string Tools = ""","tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]""";

    private static readonly string WeatherInOslo = Chat("auto", "What's the weather in Oslo?", Tools);

    private static string Chat(string model, string content, string extra = "") =>
        $$"""{"model":"{{model}}","max_tokens":8,"messages":[{"role":"user","content":"{{content}}"}]{{extra}}}""";

    private static async Task DriveEveryRouteAsync(GatewayFactory gateway)
    {
        using var client = gateway.CreateHttpClient();
        var requests = new[]
        {
            WeatherInOslo,
            Chat("tiny-random", "Hello"),
            Chat("gpt-4o-mini", "Hello"),
            Chat("tiny-unguided", "Weather?", Tools + ""","tool_choice":"required" """),
            Chat("auto", $"Write a persuasive essay about city parks with counterarguments. {FailMarker}"),
            Chat("gpt-4o-mini", $"Hello {FailMarker}"),
        };
        foreach (var body in requests)
        {
            using var response = await LocalChat.PostAsync(client, body);
            await response.Content.ReadAsStringAsync();
        }

        using var running = await LocalChat.PostAsync(client, Chat("tiny-long", "Go on", ""","max_tokens":30000,"stream":true""").Replace("\"max_tokens\":8,", string.Empty, StringComparison.Ordinal), HttpCompletionOption.ResponseHeadersRead);
        using (var reader = new SseReader(await running.Content.ReadAsStreamAsync()))
        {
            Assert.NotNull(await reader.NextAsync());
            using var spilled = await LocalChat.PostAsync(client, Chat("tiny-long", "Hello"));
            Assert.Equal("spilled", spilled.Headers.GetValues("x-slmgw-reason").Single());
        }
    }

    /// <summary>Waits until Prometheus holds at least three scrapes taken after the workload, so rates have samples.</summary>
    private static async Task WaitForScrapesAsync(PrometheusServer prometheus)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var (series, _) = await prometheus.QueryAsync("slmgw_routing_decisions_total{slmgw_reason=\"spilled\"}");
            if (series > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(3.5));
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("Prometheus did not scrape the gateway's decisions within 20 s.");
    }
}
