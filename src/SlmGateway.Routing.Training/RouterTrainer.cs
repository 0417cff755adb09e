using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using SlmGateway.Routing.Classification;

namespace SlmGateway.Routing.Training;

/// <summary>
/// Fits the router's two stages with ML.NET (L-BFGS logistic regression): classes weighted to count
/// equally. Everything is tuned for kinds of request the stages have not seen, since the gateway
/// will meet those: each kind (see <see cref="DevelopmentCorpus.Family"/>) is left out in turn, the
/// stages are fitted on the others and score it. Each stage's L2 strength is the one with the least
/// log-loss there; the lexical stage's margin is the smallest at which, in every kind, the requests
/// it would settle alone are decided no worse than the semantic stage decides them, give or take a
/// tolerance. Then both stages are refitted on all training examples. The
/// result is weights the gateway evaluates itself.
/// </summary>
internal static class RouterTrainer
{
    /// <summary>One percentage point, in each kind of request the stages have not seen.</summary>
    public const double DefaultLexicalTolerance = 0.01;
    private static readonly float[] L2Strengths = [0.01f, 0.1f, 1f, 10f];

    public sealed record Example(string Group, string Family, LexicalInput Lexical, float[] Semantic, bool Local, float Weight);

    /// <summary>What both stages read of each request.</summary>
    public static List<Example> Examples(IEnumerable<LabelledRequest> requests, Func<string, float[]> embed, Func<string, float[]> embedTool) =>
        requests.Select(request =>
        {
            var features = RequestFeatures.Extract(request.Request);
            return new Example(request.Group, DevelopmentCorpus.Family(request.Source), LexicalInput.Of(features), SemanticInput.Of(features, embed, embedTool).Concatenated(), request.Local, request.Weight);
        }).ToList();

    /// <param name="lexicalTolerance">How much error the cheap stage may add, as a share of the requests it settles alone (see <see cref="ChooseMargin"/>).</param>
    public static RouterModel Train(IReadOnlyList<Example> examples, JsonObject training, double lexicalTolerance = DefaultLexicalTolerance, Action<string>? log = null)
    {
        var weighted = Balanced(examples);
        var (lexicalL2, lexical) = ChooseL2("lexical", weighted, FitLexical, (stage, e) => stage.Probability(e.Lexical.Indices, e.Lexical.Values), log);
        var (semanticL2, semantic) = ChooseL2("semantic", weighted, FitSemantic, SemanticProbability, log);
        var scored = weighted.Select((e, i) => new Scored(e.Family, e.Local, e.Weight, lexical[i], semantic[i])).ToList();
        var margin = ChooseMargin(scored, lexicalTolerance, log);
        training["lexical_l2"] = lexicalL2;
        training["semantic_l2"] = semanticL2;
        training["lexical_tolerance"] = lexicalTolerance;
        training["margin"] = margin;
        return new RouterModel(FitLexical(weighted, lexicalL2), margin, FitSemantic(weighted, semanticL2), training);
    }

    /// <summary>The cascade's probability for one example, as the gateway computes it (or one stage's alone, to compare).</summary>
    public static double Probability(RouterModel model, Example example, double threshold = 0.5, bool lexicalOnly = false, bool semanticOnly = false)
    {
        var lexical = model.Lexical.Probability(example.Lexical.Indices, example.Lexical.Values);
        return !semanticOnly && (lexicalOnly || model.Settles(lexical, threshold)) ? lexical : SemanticProbability(model.Semantic, example);
    }

    private static double SemanticProbability(LinearStage stage, Example example) =>
        stage.Probability(example.Semantic.AsSpan(0, example.Semantic.Length - SemanticInput.SignalNames.Length), example.Semantic.AsSpan(example.Semantic.Length - SemanticInput.SignalNames.Length));

    /// <summary>The L2 strength whose probabilities on kinds left out of fitting have the least log-loss, and those probabilities.</summary>
    private static (float L2, double[] Probabilities) ChooseL2(
        string name, List<Example> examples, Func<List<Example>, float, LinearStage> fit, Func<LinearStage, Example, double> probability, Action<string>? log)
    {
        (float L2, double[] Probabilities, double Loss) best = (0, [], double.MaxValue);
        foreach (var l2 in L2Strengths)
        {
            var probabilities = UnseenKindProbabilities(examples, others => fit(others, l2), probability);
            var loss = LogLoss(probabilities, examples);
            log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{name} stage, L2 {l2}: log-loss on kinds left out of fitting {loss:F4}"));
            if (loss < best.Loss)
            {
                best = (l2, probabilities, loss);
            }
        }

        return (best.L2, best.Probabilities);
    }

    /// <summary>Each example's probability from a stage fitted on the other kinds of request alone.</summary>
    private static double[] UnseenKindProbabilities(List<Example> examples, Func<List<Example>, LinearStage> fit, Func<LinearStage, Example, double> probability)
    {
        var probabilities = new double[examples.Count];
        foreach (var family in examples.Select(e => e.Family).Distinct(StringComparer.Ordinal))
        {
            var others = examples.Where(e => e.Family != family).ToList();
            var stage = others.Select(e => e.Local).Distinct().Count() == 2 ? fit(others) : null;
            for (var i = 0; i < examples.Count; i++)
            {
                if (examples[i].Family == family)
                {
                    probabilities[i] = stage is null ? 0.5 : probability(stage, examples[i]);
                }
            }
        }

        return probabilities;
    }

    /// <summary>
    /// The smallest margin at which the lexical stage, deciding alone, adds at most
    /// <paramref name="tolerance"/> (a share of the requests it settles, and never less than one
    /// request) to the semantic stage's errors on them, in every kind of request left out of fitting:
    /// a kind whose words mislead keeps the margin wide.
    /// </summary>
    private static double ChooseMargin(List<Scored> scored, double tolerance, Action<string>? log)
    {
        for (var step = 0; step < 20; step++)
        {
            var margin = step * 0.025;
            var settled = scored.Where(s => Math.Abs(s.Lexical - 0.5) >= margin).ToList();
            var worst = settled.GroupBy(s => s.Family)
                .Select(kind => (Kind: kind.Key, Added: kind.Where(s => s.Lexical >= 0.5 != s.Local).Sum(s => s.Weight) - kind.Where(s => s.Semantic >= 0.5 != s.Local).Sum(s => s.Weight), Allowed: Math.Max(1, tolerance * kind.Sum(s => s.Weight))))
                .MaxBy(kind => kind.Added - kind.Allowed);
            log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"margin {margin:F3}: the lexical stage settles {(double)settled.Count / scored.Count:P1} of the requests of kinds left out of fitting; most added errors in {worst.Kind}: {worst.Added:F1} (allowed {worst.Allowed:F1})"));
            if (settled.Count == 0 || worst.Added <= worst.Allowed)
            {
                return margin;
            }
        }

        return 0.5;
    }

    private static double LogLoss(double[] probabilities, IReadOnlyList<Example> examples)
    {
        double loss = 0, total = 0;
        foreach (var (probability, example) in probabilities.Zip(examples))
        {
            var p = Math.Clamp(probability, 1e-7, 1 - 1e-7);
            loss -= example.Weight * Math.Log(example.Local ? p : 1 - p);
            total += example.Weight;
        }

        return loss / Math.Max(total, 1e-9);
    }

    /// <summary>Each class's weights scaled so that both classes weigh the same in all.</summary>
    private static List<Example> Balanced(IReadOnlyList<Example> examples)
    {
        var local = examples.Where(example => example.Local).Sum(example => example.Weight);
        var remote = examples.Where(example => !example.Local).Sum(example => example.Weight);
        var total = local + remote;
        return examples.Select(example => example with { Weight = example.Weight * total / (2 * (example.Local ? local : remote)) }).ToList();
    }

    private static LinearStage FitLexical(IReadOnlyList<Example> examples, float l2) =>
        Fit(examples.Select(e => (new VBuffer<float>(LexicalInput.Dimensions, e.Lexical.Indices.Length, e.Lexical.Values, e.Lexical.Indices), e.Local, e.Weight)), LexicalInput.Dimensions, l2);

    private static LinearStage FitSemantic(IReadOnlyList<Example> examples, float l2) =>
        Fit(examples.Select(e => (new VBuffer<float>(e.Semantic.Length, e.Semantic), e.Local, e.Weight)), examples[0].Semantic.Length, l2);

    private static LinearStage Fit(IEnumerable<(VBuffer<float> Features, bool Local, float Weight)> rows, int dimensions, float l2)
    {
        var ml = new MLContext(seed: 1);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimensions);
        var data = ml.Data.LoadFromEnumerable(rows.Select(row => new Row { Label = row.Local, Features = row.Features, Weight = row.Weight }), schema);
        var trainer = ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
        {
            LabelColumnName = nameof(Row.Label),
            FeatureColumnName = nameof(Row.Features),
            ExampleWeightColumnName = nameof(Row.Weight),
            L2Regularization = l2,
            L1Regularization = 0,
            OptimizationTolerance = 1e-7f,
            MaximumNumberOfIterations = 2000,
        });
        var parameters = trainer.Fit(data).Model;
        // The calibrated probability is 1 / (1 + exp(slope * score + offset)): folded into the weights.
        var (slope, offset) = ((float)parameters.Calibrator.Slope, (float)parameters.Calibrator.Offset);
        var dense = new float[dimensions];
        parameters.SubModel.Weights.ToArray().CopyTo(dense, 0);
        return new LinearStage(dense.Select(weight => -slope * weight).ToArray(), -(slope * parameters.SubModel.Bias + offset));
    }

    private sealed record Scored(string Family, bool Local, float Weight, double Lexical, double Semantic);

    private sealed class Row
    {
        public bool Label { get; set; }

        public VBuffer<float> Features { get; set; }

        public float Weight { get; set; }
    }
}
