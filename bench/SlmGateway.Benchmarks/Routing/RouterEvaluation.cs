using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using SlmGateway.Benchmarks.Measurement;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Routing;
using SlmGateway.Routing.Classification;
using SlmGateway.Routing.Semantic;

namespace SlmGateway.Benchmarks.Routing;

/// <summary>
/// Runs the classifier over labelled requests and prints accuracy, precision and recall of "local",
/// the share kept local, the confusion matrix, results per source, and how long decisions take
/// (structural rules alone, and whole decisions including the semantic step).
/// </summary>
internal static class RouterEvaluation
{
    private static readonly LocalLimits Limits = new(32768, 1024);

    public static int Run(string[] args)
    {
        var data = Option(args, "--data") ?? Path.Combine("..", "shared", "data");
        var labelledFile = Option(args, "--labelled");
        var routing = new RoutingOptions { ExemplarsFile = Option(args, "--exemplars") };
        if (Option(args, "--threshold") is { } threshold)
        {
            routing.Threshold = double.Parse(threshold, CultureInfo.InvariantCulture);
        }

        var requests = (labelledFile is null ? LabelledRequests.FromDevelopmentData(data) : LabelledRequests.FromFile(labelledFile)).ToList();
        using var scorer = new SemanticScorer(Options.Create(routing));
        var classifier = new RequestClassifier(scorer);
        scorer.WarmUp();

        var results = new List<(LabelledRequest Request, RoutingDecision Decision)>();
        var wholeMicros = new List<double>();
        var structuralMicros = new List<double>();
        foreach (var request in requests)
        {
            var started = Stopwatch.GetTimestamp();
            var structural = RequestClassifier.Structural(RequestFeatures.Extract(request.Request), Limits);
            structuralMicros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            started = Stopwatch.GetTimestamp();
            var decision = classifier.Classify(request.Request, Limits, routing.Threshold);
            wholeMicros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            results.Add((request, decision));
            _ = structural;
        }

        Report(results, structuralMicros, wholeMicros, routing.Threshold);
        return 0;
    }

    private static void Report(List<(LabelledRequest Request, RoutingDecision Decision)> results, List<double> structural, List<double> whole, double threshold)
    {
        bool Predicted(RoutingDecision decision) => decision.Target == "local";
        var tp = results.Count(r => r.Request.Local && Predicted(r.Decision));
        var fp = results.Count(r => !r.Request.Local && Predicted(r.Decision));
        var fn = results.Count(r => r.Request.Local && !Predicted(r.Decision));
        var tn = results.Count(r => !r.Request.Local && !Predicted(r.Decision));
        var n = results.Count;
        string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

        Console.WriteLine(F($"{n} labelled requests ({tp + fn} local, {fp + tn} remote), threshold {threshold}"));
        Console.WriteLine(F($"accuracy {(double)(tp + tn) / n:P1}; local precision {(double)tp / Math.Max(1, tp + fp):P1}, recall {(double)tp / Math.Max(1, tp + fn):P1}; share kept local {(double)(tp + fp) / n:P1}"));
        Console.WriteLine("confusion (rows: label, columns: decision)");
        Console.WriteLine(F($"             local  remote"));
        Console.WriteLine(F($"  local    {tp,7} {fn,7}"));
        Console.WriteLine(F($"  remote   {fp,7} {tn,7}"));
        Console.WriteLine("per source: correct / total, and the reasons given");
        foreach (var group in results.GroupBy(r => r.Request.Source).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var correct = group.Count(r => r.Request.Local == Predicted(r.Decision));
            var reasons = string.Join(", ", group.GroupBy(r => r.Decision.Reason).Select(g => $"{g.Key} {g.Count()}"));
            Console.WriteLine(F($"  {group.Key,-36} {correct,4} / {group.Count(),-4} {reasons}"));
        }

        var semantic = results.Zip(whole).Where(pair => pair.First.Decision.Reason is RoutingReasons.SemanticLocal or RoutingReasons.SemanticRemote).Select(pair => pair.Second).ToArray();
        Console.WriteLine(F($"latency: structural rules alone p50 {Stats.Percentiles(structural.ToArray()).P50:F1} us, p99 {Stats.Percentiles(structural.ToArray()).P99:F1} us; whole decision with the semantic step p50 {Stats.Percentiles(semantic).P50 / 1000:F2} ms, p99 {Stats.Percentiles(semantic).P99 / 1000:F2} ms ({semantic.Length} decisions)"));
    }

    private static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
