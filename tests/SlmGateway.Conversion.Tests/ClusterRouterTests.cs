using System.Text.Json;
using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Conversion.Clustering;
using SlmGateway.Conversion.Promotion;
using SlmGateway.Conversion.Redaction;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Configuration;
using SlmGateway.Routing.Semantic;

namespace SlmGateway.Conversion.Tests;

/// <summary>Routing by cluster state with the real MiniLM embedder: promoted (with the model's adapter for the cluster), demoted, neither.</summary>
public sealed class ClusterRouterTests : IDisposable
{
    private const string Weather = """{"model":"auto","messages":[{"role":"user","content":"What's the weather in Paris?"}],"tools":[{"type":"function","function":{"name":"get_weather"}}]}""";
    private const string Sql = """{"model":"auto","messages":[{"role":"user","content":"How many orders in March?"}],"tools":[{"type":"function","function":{"name":"run_query"}}]}""";
    private const string Essay = """{"model":"auto","messages":[{"role":"user","content":"Write an essay on rivers."}]}""";
    private readonly RequestEmbedder _embedder = new();

    [Fact]
    public void PromotedCluster_GoesLocalWithItsAdapter_DemotedGoesRemote_OthersAreLeftToTheClassifier()
    {
        var loop = new LoopOptions();
        var redactor = new PiiRedactor(Options.Create(loop));
        var clusters = new ClusterIndex(new TestOptionsMonitor<LoopOptions>(loop));
        clusters.Add(Row(7, Weather, redactor, ClusterStates.Promoted, "slm"));
        clusters.Add(Row(8, Sql, redactor, ClusterStates.Demoted, null));
        var local = new LocalOptions
        {
            Models = [new LocalModelOptions { Name = "slm", Adapters = [new LocalAdapterOptions { Name = "weather-lora", Path = "unused", Clusters = [7] }] }],
        };
        var router = new ClusterRouter(clusters, redactor, _embedder, new TestOptionsMonitor<LocalOptions>(local));

        var promoted = router.Decide(Parse(Weather.Replace("Paris", "Oslo", StringComparison.Ordinal)))!;
        var demoted = router.Decide(Parse(Sql))!;

        Assert.Equal(("local", "cluster_promoted", "weather-lora", 7L, "slm"), (promoted.Decision.Target, promoted.Decision.Reason, promoted.Decision.Adapter, promoted.ClusterId, promoted.LocalModel));
        Assert.Equal(("remote", "cluster_demoted", (string?)null), (demoted.Decision.Target, demoted.Decision.Reason, demoted.Decision.Adapter));
        Assert.Null(router.Decide(Parse(Essay)));
    }

    public void Dispose() => _embedder.Dispose();

    private ClusterRow Row(long id, string json, PiiRedactor redactor, string state, string? model)
    {
        var request = Parse(json);
        return new ClusterRow(id, TaskSignature.Key(request), TaskSignature.Embed(_embedder, redactor.Redact(TaskSignature.Of(request))), 1, state, model, 0);
    }

    private static ChatCompletionRequest Parse(string json) => JsonSerializer.Deserialize(json, WireJsonContext.Default.ChatCompletionRequest)!;
}
