using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.FunctionalTests.Local;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Telemetry;

/// <summary>The Prometheus scrape endpoint exposes the GenAI and gateway series after local and remote traffic.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_CarryEveryRouteAndTheLocalEngine()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var settings = new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom)
            .Upstream("cloud", upstream.BaseUrl, "gpt-4o-mini")
            .AutoRouting("tiny-random", "gpt-4o-mini")
            .Set("SlmGateway:Routing:Prices:gpt-4o-mini:InputPerMillion", "0.15")
            .Set("SlmGateway:Routing:Prices:gpt-4o-mini:OutputPerMillion", "0.6");
        await using var gateway = new GatewayFactory(settings);
        using var client = gateway.CreateHttpClient();
        const string local = """{"model":"auto","max_tokens":6,"messages":[{"role":"user","content":"Weather in Oslo?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{}}}}]}""";
        const string remote = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""";

        (await LocalChat.PostAsync(client, local)).EnsureSuccessStatusCode();
        (await LocalChat.PostAsync(client, remote)).EnsureSuccessStatusCode();
        var scrape = await client.GetStringAsync("/metrics");

        Assert.Contains("gen_ai_client_operation_duration_seconds_bucket{", scrape, StringComparison.Ordinal);
        Assert.Contains("slmgw_route=\"local\"", scrape, StringComparison.Ordinal);
        Assert.Contains("slmgw_route=\"remote\"", scrape, StringComparison.Ordinal);
        Assert.Contains("slmgw_routing_decisions_total{", scrape, StringComparison.Ordinal);
        Assert.Contains("gen_ai_token_type=\"output\"", scrape, StringComparison.Ordinal);
        Assert.Contains("gen_ai_server_time_to_first_token_seconds_bucket{", scrape, StringComparison.Ordinal);
        Assert.Contains("gen_ai_server_time_per_output_token_seconds_bucket{", scrape, StringComparison.Ordinal);
        Assert.Contains("slmgw_local_queue_depth{", scrape, StringComparison.Ordinal);
        Assert.Contains("slmgw_upstream_circuit_open{", scrape, StringComparison.Ordinal);
        Assert.Contains("slmgw_cost_saved", scrape, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^dotnet_gc_heap_total_allocated_bytes_total(\{[^}]*\})? [1-9]", scrape);
        Assert.Contains("dotnet_gc_collections_total{", scrape, StringComparison.Ordinal);
        Assert.Contains(
            scrape.Split('\n'),
            line => line.StartsWith("gen_ai_client_token_usage_sum{", StringComparison.Ordinal)
                && line.Contains("gen_ai_token_type=\"input\"", StringComparison.Ordinal)
                && line.Contains("slmgw_route=\"remote\"", StringComparison.Ordinal)
                && line.EndsWith(" 5", StringComparison.Ordinal));
    }
}
