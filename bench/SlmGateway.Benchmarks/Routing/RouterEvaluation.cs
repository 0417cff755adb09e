using System.Diagnostics;
using System.Globalization;
using SlmGateway.Benchmarks.Measurement;
using SlmGateway.Core.Routing;
using SlmGateway.Routing.Classification;
using SlmGateway.Routing.Semantic;
using SlmGateway.Routing.Training;

namespace SlmGateway.Benchmarks.Routing;

/// <summary>
/// Runs the classifier (structural rules, then the trained model) over labelled requests and prints,
/// at the chosen threshold, accuracy, precision and recall of "local", the share kept local, the
/// confusion matrix and results per source; then the threshold curve (accuracy, share kept local,
/// recall of remote work at each threshold) and decision latency.
/// </summary>
internal static class RouterEvaluation
{
    private static readonly LocalLimits Limits = new(32768, 1024);

    public static int Run(string[] args)
    {
        var data = Option(args, "--data") ?? Path.Combine("..", "shared", "data");
        var split = Option(args, "--split") ?? "held-back";
        var threshold = double.Parse(Option(args, "--threshold") ?? "0.5", CultureInfo.InvariantCulture);
        var model = Option(args, "--model") is { } file ? RouterModel.Load(file) : RouterModelSource.BuiltIn;
        var requests = Option(args, "--labelled") is { } labelled
            ? LabelledFile(labelled)
            : DevelopmentCorpus.Load(data).Where(request => split switch
            {
                "held-back" => DevelopmentCorpus.IsHeldBack(request.Group),
                "training" => !DevelopmentCorpus.IsHeldBack(request.Group),
                _ => true,
            }).ToList();

        using var embedder = new RequestEmbedder();
        using var tools = new ToolEmbeddingCache(embedder.Embed);
        embedder.WarmUp();
        var results = new List<(LabelledRequest Request, RoutingDecision? Structural, double Probability)>();
        var wholeMicros = new List<double>();
        var structuralMicros = new List<double>();
        foreach (var request in requests)
        {
            var started = Stopwatch.GetTimestamp();
            var features = RequestFeatures.Extract(request.Request);
            var structural = RequestClassifier.Structural(features, Limits);
            structuralMicros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            var probability = 0.0;
            if (structural is null)
            {
                var input = ClassifierInput.Of(features, embedder.Embed, tools.Embed);
                probability = model.LocalProbability(input.Embedding, input.Signals);
                wholeMicros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }

            results.Add((request, structural, probability));
        }

        Report(results, threshold);
        Curve(results);
        Console.WriteLine(F($"latency: structural rules alone p50 {Stats.Percentiles(structuralMicros.ToArray()).P50:F1} us, p99 {Stats.Percentiles(structuralMicros.ToArray()).P99:F1} us; whole decision with the classifier p50 {Stats.Percentiles(wholeMicros.ToArray()).P50 / 1000:F2} ms, p99 {Stats.Percentiles(wholeMicros.ToArray()).P99 / 1000:F2} ms ({wholeMicros.Count} decisions)"));
        return 0;
    }

    private static bool Local((LabelledRequest Request, RoutingDecision? Structural, double Probability) result, double threshold) =>
        result.Structural is { } rule ? rule.Target == "local" : result.Probability >= threshold;

    private static void Report(List<(LabelledRequest Request, RoutingDecision? Structural, double Probability)> results, double threshold)
    {
        var tp = results.Count(r => r.Request.Local && Local(r, threshold));
        var fp = results.Count(r => !r.Request.Local && Local(r, threshold));
        var fn = results.Count(r => r.Request.Local && !Local(r, threshold));
        var tn = results.Count(r => !r.Request.Local && !Local(r, threshold));
        var n = results.Count;
        Console.WriteLine(F($"{n} labelled requests ({tp + fn} local, {fp + tn} remote), threshold {threshold}"));
        Console.WriteLine(F($"accuracy {(double)(tp + tn) / n:P1}; local precision {(double)tp / Math.Max(1, tp + fp):P1}, recall {(double)tp / Math.Max(1, tp + fn):P1}; share kept local {(double)(tp + fp) / n:P1}"));
        Console.WriteLine("confusion (rows: label, columns: decision)");
        Console.WriteLine("             local  remote");
        Console.WriteLine(F($"  local    {tp,7} {fn,7}"));
        Console.WriteLine(F($"  remote   {fp,7} {tn,7}"));
        Console.WriteLine("per source: correct / total (label)");
        foreach (var group in results.GroupBy(r => r.Request.Source).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var correct = group.Count(r => r.Request.Local == Local(r, threshold));
            Console.WriteLine(F($"  {group.Key,-36} {correct,5} / {group.Count(),-5} {(double)correct / group.Count(),7:P1}  ({(group.First().Request.Local ? "local" : "remote")})"));
        }
    }

    /// <summary>The operator's knob: what each threshold keeps local and what it costs in remote work sent local.</summary>
    private static void Curve(List<(LabelledRequest Request, RoutingDecision? Structural, double Probability)> results)
    {
        var remote = Math.Max(1, results.Count(r => !r.Request.Local));
        Console.WriteLine("threshold  accuracy  kept local  remote-work recall  local-work recall");
        for (var threshold = 0.1; threshold < 0.95; threshold += 0.1)
        {
            var correct = results.Count(r => r.Request.Local == Local(r, threshold));
            var kept = results.Count(r => Local(r, threshold));
            var remoteKept = results.Count(r => !r.Request.Local && !Local(r, threshold));
            var localKept = results.Count(r => r.Request.Local && Local(r, threshold));
            Console.WriteLine(F($"  {threshold,5:F1}    {(double)correct / results.Count,7:P1}  {(double)kept / results.Count,9:P1}  {(double)remoteKept / remote,17:P1}  {(double)localKept / Math.Max(1, results.Count(r => r.Request.Local)),16:P1}"));
        }
    }

    private static List<LabelledRequest> LabelledFile(string file) =>
        File.ReadLines(file).Where(line => line.Length > 0).Select(line =>
        {
            var item = System.Text.Json.Nodes.JsonNode.Parse(line)!;
            return new LabelledRequest(Path.GetFileName(file), Path.GetFileName(file), DevelopmentCorpus.Parse(item["request"]!.AsObject()), (string?)item["label"] == "local");
        }).ToList();

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
