using System.Globalization;
using System.Text.Json.Nodes;
using SlmGateway.Routing.Classification;
using SlmGateway.Routing.Semantic;
using SlmGateway.Routing.Training;

namespace SlmGateway.RouterTraining;

/// <summary>
/// <c>slmgw-router</c>: trains the request classifier from the development data (<c>train</c>), or
/// from it together with the shadow evidence of a running gateway (<c>retrain</c>), and writes the
/// model file the gateway loads (<c>Routing:ClassifierFile</c>, re-read while it runs).
/// </summary>
internal static class RouterTrainingCli
{
    public const string Usage = """
        usage: slmgw-router train [--data ../shared/data] [--out models/router/classifier.json] [--leave-out SOURCE]
                                  [--lexical-tolerance 0.01]
               slmgw-router retrain (--evidence FILE | --url URL --admin-key KEY) [--data ../shared/data]
                                    [--evidence-weight 4] [--lexical-tolerance 0.01] --out FILE
        train: fits the classifier on the development data's training split and reports the held-back split.
               --lexical-tolerance: error the cheap lexical stage may add where it decides alone (0: none; 1: it always decides).
        retrain: the same, plus the gateway's shadowed calls (local answer agreed: local; disagreed: remote),
                 from GET /admin/router/evidence or a file of its JSON Lines.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors)
    {
        var command = args.FirstOrDefault();
        string? Option(string name) => Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        if (command is not ("train" or "retrain"))
        {
            await errors.WriteLineAsync(Usage);
            return 2;
        }

        var data = Option("--data") ?? Path.Combine("..", "shared", "data");
        var outFile = Option("--out") ?? (command == "train" ? Path.Combine("models", "router", "classifier.json") : null);
        if (outFile is null)
        {
            await errors.WriteLineAsync("retrain needs --out FILE.");
            return 2;
        }

        // --leave-out SOURCE trains without a whole source (prefix), to see how the classifier does on a kind it never saw.
        var leaveOut = Option("--leave-out");
        var corpus = DevelopmentCorpus.Load(data);
        var evidence = new List<LabelledRequest>();
        if (command == "retrain")
        {
            var weight = float.Parse(Option("--evidence-weight") ?? "4", CultureInfo.InvariantCulture);
            evidence = (Option("--evidence") is { } file
                ? ShadowEvidence.Read(File.ReadLines(file))
                : await ShadowEvidence.FetchAsync(new Uri(Option("--url") ?? "http://localhost:8080"), Option("--admin-key") ?? Environment.GetEnvironmentVariable("SLMGW_ADMIN_KEY") ?? ""))
                .Select(request => request with { Weight = weight }).ToList();
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"shadow evidence: {evidence.Count} calls ({evidence.Count(e => e.Local)} agreed, weight {weight})"));
        }

        using var embedder = new GuardedEmbedder(threads: Environment.ProcessorCount);
        using var tools = new ToolEmbeddingCache(embedder.Embed, capacity: 1 << 20);
        var started = DateTime.UtcNow;
        bool LeftOut(LabelledRequest request) => leaveOut is not null && request.Source.StartsWith(leaveOut, StringComparison.Ordinal);
        var training = corpus.Where(request => !DevelopmentCorpus.IsHeldBack(request.Group) && !LeftOut(request)).Concat(evidence).ToList();
        var heldBack = corpus.Where(request => leaveOut is null ? DevelopmentCorpus.IsHeldBack(request.Group) : LeftOut(request)).ToList();
        var trainingExamples = RouterTrainer.Examples(training, embedder.Embed, tools.Embed);
        var metadata = new JsonObject
        {
            ["trained_at"] = started.ToString("O", CultureInfo.InvariantCulture),
            ["command"] = string.Join(' ', args.Where(arg => arg != Option("--admin-key"))),
            ["examples"] = trainingExamples.Count,
            ["local"] = trainingExamples.Count(example => example.Local),
            ["remote"] = trainingExamples.Count(example => !example.Local),
            ["shadow_evidence"] = evidence.Count,
        };
        var tolerance = double.Parse(Option("--lexical-tolerance") ?? RouterTrainer.DefaultLexicalTolerance.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var model = RouterTrainer.Train(trainingExamples, metadata, tolerance, line => output.WriteLine(line));
        var heldBackExamples = RouterTrainer.Examples(heldBack, embedder.Embed, tools.Embed);
        var correct = heldBackExamples.Count(example => RouterTrainer.Probability(model, example) >= 0.5 == example.Local);
        var settled = heldBackExamples.Count(example => model.Settles(model.Lexical.Probability(example.Lexical.Indices, example.Lexical.Values), 0.5));
        var lexicalAlone = heldBackExamples.Count(example => RouterTrainer.Probability(model, example, lexicalOnly: true) >= 0.5 == example.Local);
        var semanticAlone = heldBackExamples.Count(example => RouterTrainer.Probability(model, example, semanticOnly: true) >= 0.5 == example.Local);
        model.Training["held_back"] = new JsonObject
        {
            ["examples"] = heldBackExamples.Count,
            ["accuracy_at_0.5"] = Math.Round((double)correct / heldBackExamples.Count, 4),
            ["settled_by_lexical_stage"] = Math.Round((double)settled / heldBackExamples.Count, 4),
            ["lexical_stage_alone"] = Math.Round((double)lexicalAlone / heldBackExamples.Count, 4),
            ["semantic_stage_alone"] = Math.Round((double)semanticAlone / heldBackExamples.Count, 4),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
        model.Save(outFile);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"trained on {trainingExamples.Count} requests in {(DateTime.UtcNow - started).TotalSeconds:F0} s; held back {heldBackExamples.Count}: {(double)correct / heldBackExamples.Count:P1} right at threshold 0.5, {(double)settled / heldBackExamples.Count:P1} settled by the lexical stage (each stage alone: lexical {(double)lexicalAlone / heldBackExamples.Count:P1}, semantic {(double)semanticAlone / heldBackExamples.Count:P1}); wrote {outFile}"));
        return 0;
    }
}
