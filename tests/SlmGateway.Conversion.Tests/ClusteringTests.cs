using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SlmGateway.Conversion.Capture;
using SlmGateway.Conversion.Clustering;
using SlmGateway.Conversion.Redaction;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Configuration;
using SlmGateway.Routing.Semantic;

namespace SlmGateway.Conversion.Tests;

/// <summary>
/// S3 on eight agents' traffic (48 calls, <c>AgentTraffic/agents.jsonl</c>; two of them offer no tools and ask
/// for free text, so only the embedding tells them apart): calls go through the real
/// capture processing (redaction, MiniLM signature embedding, online clustering into a SQLite store).
/// </summary>
public sealed class ClusteringTests : IDisposable
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"slmgw-clusters-{Guid.NewGuid():N}.db");
    private readonly RequestEmbedder _embedder = new();

    [Fact]
    public async Task AgentsToolFamilies_FallIntoSeparateClusters_LabelledByTheirTools()
    {
        var options = new LoopOptions { Capture = { ConnectionString = $"Data Source={_database}" } };
        using var store = new TraceStore(Options.Create(options));
        var monitor = new TestOptionsMonitor<LoopOptions>(options);
        var clusters = new ClusterIndex(monitor);
        var processor = new CallProcessor(new PiiRedactor(Options.Create(options)), _embedder, clusters, store, monitor);
        var calls = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "AgentTraffic", "agents.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => (Family: e.GetProperty("family").GetString()!, Request: e.GetProperty("request").GetRawText()))
            .ToList();

        var assigned = new List<(string Family, long Cluster, CaptureRecord Record)>();
        foreach (var (family, request) in calls)
        {
            var processed = await processor.ClusterAsync(
                processor.Process(new CapturedCall(DateTimeOffset.UtcNow, null, "gpt-4o-mini", "remote", "explicit_model", 200, 10, 5, 3, null, false, Encoding.UTF8.GetBytes(request), null)),
                EmbedHere,
                CancellationToken.None);
            assigned.Add((family, processed.Record.ClusterId!.Value, processed.Record));
        }

        var familiesPerCluster = assigned.GroupBy(a => a.Cluster).ToDictionary(g => g.Key, g => g.Select(a => a.Family).Distinct().ToList());
        Assert.All(familiesPerCluster, cluster => Assert.Single(cluster.Value));
        var clustersPerFamily = assigned.GroupBy(a => a.Family).ToDictionary(g => g.Key, g => g.Select(a => a.Cluster).Distinct().Count());
        Assert.All(clustersPerFamily, family => Assert.Equal(1, family.Value));

        var labels = ClusterLabeler.Label(assigned.GroupBy(a => a.Cluster).ToDictionary(g => g.Key, g => g.Select(a => (a.Record.Tools, a.Record.Signature)).ToList()));
        var weather = assigned.First(a => a.Family == "weather").Cluster;
        Assert.Equal(["get_forecast", "get_weather"], labels[weather].Tools.Order());
        var triage = assigned.First(a => a.Family == "email_triage").Cluster;
        Assert.Empty(labels[triage].Tools);
        Assert.Contains("subject", labels[triage].Terms);
    }

    [Fact]
    public async Task RecurringTask_HasItsClusterBeforeItIsStored_ANewOneDoesNot()
    {
        var options = new LoopOptions { Capture = { ConnectionString = $"Data Source={_database}" } };
        using var store = new TraceStore(Options.Create(options));
        var monitor = new TestOptionsMonitor<LoopOptions>(options);
        var processor = new CallProcessor(new PiiRedactor(Options.Create(options)), _embedder, new ClusterIndex(monitor), store, monitor);
        static CapturedCall Call(string text) => new(
            DateTimeOffset.UtcNow, null, "gpt-4o-mini", "remote", "explicit_model", 200, 10, 5, 3, null, false,
            Encoding.UTF8.GetBytes($$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"{{text}}"}]}"""), null);

        Assert.Null(processor.WithKnownCluster(processor.Process(Call("Where is order 1234?"))).Record.ClusterId);
        var first = await processor.ClusterAsync(processor.Process(Call("Where is order 1234?")), EmbedHere, CancellationToken.None);

        var again = processor.WithKnownCluster(processor.Process(Call("Where is order 1234?")));
        var other = processor.WithKnownCluster(processor.Process(Call("Summarise this email for me: the meeting moved to Friday.")));

        Assert.NotNull(first.Record.ClusterId);
        Assert.Equal(first.Record.ClusterId, again.Record.ClusterId);
        Assert.Null(other.Record.ClusterId);
    }

    private static Task<float[]> EmbedHere(Func<float[]> embed) => Task.FromResult(embed());

    public void Dispose()
    {
        _embedder.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_database);
    }
}
