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
        var results = new List<Result>();
        var wholeMicros = new List<double>();
        var lexicalSettled = 0;
        var structuralMicros = new List<double>();
        foreach (var request in requests)
        {
            var started = Stopwatch.GetTimestamp();
            var features = RequestFeatures.Extract(request.Request);
            var structural = RequestClassifier.Structural(features, Limits);
            structuralMicros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            var (lexical, semantic) = (0.0, 0.0);
            if (structural is null)
            {
                _ = Cascade(model, features, embedder, tools, threshold, out var settledLexically);
                wholeMicros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                lexicalSettled += settledLexically ? 1 : 0;
                lexical = model.LexicalProbability(LexicalInput.Of(features));
                semantic = model.SemanticProbability(SemanticInput.Of(features, embedder.Embed, tools.Embed));
            }

            results.Add(new Result(request, structural, lexical, semantic, model));
        }

        Report(results, threshold);
        Curve(results);
        Calibration(results, threshold);
        var warmMicros = WarmDecisions(requests, embedder, tools, model, threshold);
        string Ms(List<double> micros) => F($"p50 {Stats.Percentiles(micros.ToArray()).P50 / 1000:F2} ms, p99 {Stats.Percentiles(micros.ToArray()).P99 / 1000:F2} ms");
        Console.WriteLine(F($"latency: structural rules alone p50 {Stats.Percentiles(structuralMicros.ToArray()).P50:F1} us, p99 {Stats.Percentiles(structuralMicros.ToArray()).P99:F1} us"));
        Console.WriteLine(F($"  whole decision with the classifier, tools seen for the first time: {Ms(wholeMicros)} ({wholeMicros.Count} decisions, {(double)lexicalSettled / Math.Max(1, wholeMicros.Count):P1} settled by the lexical stage)"));
        Console.WriteLine(F($"  whole decision with the classifier, tools seen before (an agent's next call): {Ms(warmMicros)}"));
        return 0;
    }

    /// <summary>The classifier's cascade, as <c>RequestClassifier</c> runs it: the lexical stage, and the semantic stage when that is unsure.</summary>
    private static double Cascade(RouterModel model, RequestFeatures features, RequestEmbedder embedder, ToolEmbeddingCache tools, double threshold, out bool settledLexically)
    {
        var lexical = model.LexicalProbability(LexicalInput.Of(features));
        settledLexically = model.Settles(lexical, threshold);
        return settledLexically ? lexical : model.SemanticProbability(SemanticInput.Of(features, embedder.Embed, tools.Embed));
    }

    /// <summary>The same decisions again: an agent sends the same tools with every call, so their embeddings are cached.</summary>
    private static List<double> WarmDecisions(List<LabelledRequest> requests, RequestEmbedder embedder, ToolEmbeddingCache tools, RouterModel model, double threshold)
    {
        var micros = new List<double>();
        foreach (var request in requests)
        {
            var started = Stopwatch.GetTimestamp();
            var features = RequestFeatures.Extract(request.Request);
            if (RequestClassifier.Structural(features, Limits) is null)
            {
                _ = Cascade(model, features, embedder, tools, threshold, out _);
                micros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }
        }

        return micros;
    }

    private static bool Local(Result result, double threshold) =>
        result.Structural is { } rule ? rule.Target == "local" : (result.Model.Settles(result.Lexical, threshold) ? result.Lexical : result.Semantic) >= threshold;

    private static void Report(List<Result> results, double threshold)
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
    private static void Curve(List<Result> results)
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

    /// <summary>Whether the probabilities mean what they say: per band of the cascade's probability, the share that is local work.</summary>
    private static void Calibration(List<Result> results, double threshold)
    {
        var scored = results.Where(r => r.Structural is null)
            .Select(r => (Probability: r.Model.Settles(r.Lexical, threshold) ? r.Lexical : r.Semantic, r.Request.Local)).ToList();
        Console.WriteLine("calibration: probability band, requests, mean probability, share that is local work");
        for (var band = 0; band < 5; band++)
        {
            var (low, high) = (band * 0.2, band == 4 ? 1.0001 : (band + 1) * 0.2);
            var inBand = scored.Where(s => s.Probability >= low && s.Probability < high).ToList();
            if (inBand.Count > 0)
            {
                Console.WriteLine(F($"  {low:F1}-{Math.Min(high, 1):F1}  {inBand.Count,6}  {inBand.Average(s => s.Probability),6:F3}  {inBand.Count(s => s.Local) / (double)inBand.Count,7:P1}"));
            }
        }

        Console.WriteLine(F($"  Brier score {scored.Average(s => Math.Pow(s.Probability - (s.Local ? 1 : 0), 2)):F4}"));
    }

    private static List<LabelledRequest> LabelledFile(string file) =>
        File.ReadLines(file).Where(line => line.Length > 0).Select(line =>
        {
            var item = System.Text.Json.Nodes.JsonNode.Parse(line)!;
            return new LabelledRequest(Path.GetFileName(file), Path.GetFileName(file), DevelopmentCorpus.Parse(item["request"]!.AsObject()), (string?)item["label"] == "local");
        }).ToList();

    /// <summary>A request's structural decision, or both stages' probabilities: the cascade's decision at any threshold follows from them.</summary>
    private sealed record Result(LabelledRequest Request, RoutingDecision? Structural, double Lexical, double Semantic, RouterModel Model);

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
