using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using SlmGateway.Benchmarks.Measurement;
using SlmGateway.Conversion;
using SlmGateway.Conversion.Clustering;
using SlmGateway.Conversion.Promotion;
using SlmGateway.Conversion.Redaction;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Configuration;
using SlmGateway.Routing.Semantic;
using SlmGateway.Routing.Training;

namespace SlmGateway.Benchmarks.Conversion;

/// <summary>
/// Clusters the development data's tool-calling requests the way capture does (redacted signature,
/// MiniLM, online clustering) and reports how well clusters follow tool families (requests offering
/// the same set of tools): purity (share of requests in a cluster whose majority family is theirs),
/// families kept whole, clusters per family, and the time per request.
/// </summary>
internal static class ClusterEvaluation
{
    public static int Run(string[] args)
    {
        var data = Option(args, "--data") ?? Path.Combine("..", "shared", "data");
        var similarities = (Option(args, "--similarity") ?? "0.6,0.7,0.8")
            .Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var requests = DevelopmentCorpus.Load(data)
            .Where(r => r.Local && r.Source.StartsWith("bfcl/", StringComparison.Ordinal) && !r.Source.StartsWith("bfcl/multi_turn", StringComparison.Ordinal)).ToList();
        var families = requests.Select(r => string.Join(',', r.Request.Tools!.Select(t => t.Function!.Name).Order(StringComparer.Ordinal))).ToList();
        var recurring = families.GroupBy(f => f).Where(g => g.Count() >= 2).Select(g => g.Key).ToHashSet();
        using var embedder = new RequestEmbedder();
        var redactor = new PiiRedactor(Options.Create(new LoopOptions()));
        var signatures = requests.Select(r => redactor.Redact(TaskSignature.Of(r.Request))).ToList();
        var keys = requests.Select(r => TaskSignature.Key(r.Request)).ToList();
        var started = Stopwatch.GetTimestamp();
        var embeddings = signatures.Select(signature => TaskSignature.Embed(embedder, signature)).ToList();
        var embedMicros = Stopwatch.GetElapsedTime(started).TotalMicroseconds / embeddings.Count;
        Console.WriteLine($"{requests.Count} tool-calling requests, {families.Distinct().Count()} tool families, {recurring.Count} of them recurring ({families.Count(recurring.Contains)} requests); embedding {embedMicros / 1000:F2} ms a request");
        Console.WriteLine("similarity  clusters  purity  families whole  clusters/family  assign µs/request");
        foreach (var similarity in similarities)
        {
            var options = new LoopOptions { Clustering = { Similarity = similarity } };
            var index = new ClusterIndex(new FixedOptions<LoopOptions>(options));
            var assigned = new long[requests.Count];
            var assignMicros = new List<double>();
            for (var i = 0; i < requests.Count; i++)
            {
                var begin = Stopwatch.GetTimestamp();
                if (index.Nearest(keys[i], embeddings[i]) is { } nearest)
                {
                    assigned[i] = nearest.Id;
                    index.Join(nearest.Id, embeddings[i]);
                    index.TakeMoved();
                }
                else
                {
                    assigned[i] = i + 1;
                    index.Add(new ClusterRow(i + 1, keys[i], embeddings[i].ToArray(), 1, ClusterStates.Observed, null, 0));
                }

                assignMicros.Add(Stopwatch.GetElapsedTime(begin).TotalMicroseconds);
            }

            var inRecurring = Enumerable.Range(0, requests.Count).Where(i => recurring.Contains(families[i])).ToList();
            var majority = inRecurring.GroupBy(i => assigned[i]).ToDictionary(g => g.Key, g => g.GroupBy(i => families[i]).MaxBy(f => f.Count())!.Key);
            var purity = (double)inRecurring.Count(i => majority[assigned[i]] == families[i]) / inRecurring.Count;
            var perFamily = inRecurring.GroupBy(i => families[i]).Select(g => g.Select(i => assigned[i]).Distinct().Count()).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{similarity,10:F2}  {assigned.Distinct().Count(),8}  {purity,6:P1}  {(double)perFamily.Count(c => c == 1) / perFamily.Count,14:P1}  {perFamily.Average(),15:F2}  {Stats.Median(assignMicros),17:F1}"));
            if (similarity == similarities[^1])
            {
                TimeRouting(index, assigned, requests, redactor, embedder);
            }
        }

        return 0;
    }

    /// <summary>
    /// What cluster routing adds to an <c>auto</c> request once clusters are decided: every cluster is
    /// promoted and each request routed (redaction, signature embedding with the routing embedder, nearest cluster).
    /// </summary>
    private static void TimeRouting(ClusterIndex index, long[] assigned, List<LabelledRequest> requests, PiiRedactor redactor, RequestEmbedder embedder)
    {
        foreach (var id in assigned.Distinct())
        {
            index.SetState(id, ClusterStates.Promoted, "slm");
        }

        var router = new ClusterRouter(index, redactor, embedder, new FixedOptions<LocalOptions>(new LocalOptions()));
        var micros = new List<double>();
        var promoted = 0;
        foreach (var request in requests)
        {
            var begin = Stopwatch.GetTimestamp();
            promoted += router.Decide(request.Request) is { Decision.Reason: "cluster_promoted" } ? 1 : 0;
            micros.Add(Stopwatch.GetElapsedTime(begin).TotalMicroseconds);
        }

        var percentiles = Stats.Percentiles([.. micros]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cluster routing with every cluster promoted: {promoted}/{requests.Count} routed to their cluster; added per request p50 {percentiles.P50 / 1000:F2} ms, p99 {percentiles.P99 / 1000:F2} ms"));
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private sealed class FixedOptions<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
