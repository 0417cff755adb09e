using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using SlmGateway.Routing.Classification;

namespace SlmGateway.Routing.Training;

/// <summary>
/// Fits the router's logistic regression with ML.NET (L-BFGS): classes weighted to count equally,
/// the L2 strength chosen by log-loss on a fifth of the training groups kept aside, then refitted on
/// all of them. The result is written as weights the gateway evaluates itself.
/// </summary>
internal static class RouterTrainer
{
    private static readonly float[] L2Strengths = [0.01f, 0.1f, 1f, 10f];

    public sealed record Example(string Group, float[] Vector, bool Local, float Weight);

    /// <summary>The trained model, and the L2 strength chosen.</summary>
    public static (RouterModel Model, float L2) Train(IReadOnlyList<Example> examples, JsonObject training, Action<string>? log = null)
    {
        var weighted = Balanced(examples);
        var fit = weighted.Where(example => !IsValidation(example.Group)).ToList();
        var validation = weighted.Where(example => IsValidation(example.Group)).ToList();
        var bestL2 = L2Strengths[0];
        var bestLoss = double.MaxValue;
        foreach (var l2 in L2Strengths)
        {
            var model = Fit(fit, l2);
            var loss = LogLoss(model, validation);
            log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"L2 {l2}: validation log-loss {loss:F4}"));
            if (loss < bestLoss)
            {
                (bestL2, bestLoss) = (l2, loss);
            }
        }

        training["l2"] = bestL2;
        var final = Fit(weighted, bestL2);
        return (new RouterModel(final.Weights, final.Bias, training), bestL2);
    }

    /// <summary>Weighted log-loss of a model's probabilities against the labels.</summary>
    public static double LogLoss(RouterModel model, IReadOnlyList<Example> examples)
    {
        double loss = 0, total = 0;
        foreach (var example in examples)
        {
            var p = Math.Clamp(Probability(model, example.Vector), 1e-7, 1 - 1e-7);
            loss -= example.Weight * Math.Log(example.Local ? p : 1 - p);
            total += example.Weight;
        }

        return loss / Math.Max(total, 1e-9);
    }

    public static double Probability(RouterModel model, float[] vector) =>
        model.LocalProbability(vector.AsSpan(0, vector.Length - ClassifierInput.SignalNames.Length), vector.AsSpan(vector.Length - ClassifierInput.SignalNames.Length));

    private static bool IsValidation(string group) => DevelopmentCorpus.IsHeldBack(group + "/validation");

    /// <summary>Each class's weights scaled so that both classes weigh the same in all.</summary>
    private static List<Example> Balanced(IReadOnlyList<Example> examples)
    {
        var local = examples.Where(example => example.Local).Sum(example => example.Weight);
        var remote = examples.Where(example => !example.Local).Sum(example => example.Weight);
        var total = local + remote;
        return examples.Select(example => example with { Weight = example.Weight * total / (2 * (example.Local ? local : remote)) }).ToList();
    }

    private static RouterModel Fit(IReadOnlyList<Example> examples, float l2)
    {
        var ml = new MLContext(seed: 1);
        var dimensions = examples[0].Vector.Length;
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimensions);
        var data = ml.Data.LoadFromEnumerable(examples.Select(example => new Row { Label = example.Local, Features = example.Vector, Weight = example.Weight }), schema);
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
        var weights = parameters.SubModel.Weights.Select(weight => -slope * weight).ToArray();
        return new RouterModel(weights, -(slope * parameters.SubModel.Bias + offset));
    }

    private sealed class Row
    {
        public bool Label { get; set; }

        public float[] Features { get; set; } = [];

        public float Weight { get; set; }
    }
}
