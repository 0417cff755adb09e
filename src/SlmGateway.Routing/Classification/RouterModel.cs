using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Routing.Semantic;

namespace SlmGateway.Routing.Classification;

/// <summary>
/// The trained classifier: a logistic regression over the ask's MiniLM embedding and the shape
/// signals, whose output is the probability that the local model suffices. Stored as a small JSON
/// file: its format, the signal names it was trained with, the weights and bias, and what it was trained on.
/// </summary>
internal sealed class RouterModel
{
    public const string FormatName = "slmgw-router-logistic/1";

    public RouterModel(float[] weights, float bias, JsonObject? training = null)
    {
        if (weights.Length != MiniLmEmbedder.Dimensions + ClassifierInput.SignalNames.Length)
        {
            throw new InvalidDataException($"expected {MiniLmEmbedder.Dimensions + ClassifierInput.SignalNames.Length} weights, found {weights.Length}");
        }

        Weights = weights;
        Bias = bias;
        Training = training ?? [];
    }

    public float[] Weights { get; }

    public float Bias { get; }

    /// <summary>What it was trained on (sources, counts, held-back results), as the training command wrote it.</summary>
    public JsonObject Training { get; }

    public double LocalProbability(ReadOnlySpan<float> embedding, ReadOnlySpan<float> signals)
    {
        var weights = Weights.AsSpan();
        var logit = Bias
            + TensorPrimitives.Dot(weights[..MiniLmEmbedder.Dimensions], embedding)
            + TensorPrimitives.Dot(weights[MiniLmEmbedder.Dimensions..], signals);
        return 1 / (1 + Math.Exp(-logit));
    }

    public void Save(string path)
    {
        var json = new JsonObject
        {
            ["format"] = FormatName,
            ["embedding"] = "all-MiniLM-L6-v2",
            ["signals"] = new JsonArray(ClassifierInput.SignalNames.Select(name => (JsonNode)name).ToArray()),
            ["bias"] = Bias,
            ["weights"] = new JsonArray(Weights.Select(weight => (JsonNode)weight).ToArray()),
            ["training"] = Training.DeepClone(),
        };
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads a model file; any defect is an <see cref="InvalidDataException"/> naming the file and what is wrong.</summary>
    public static RouterModel Load(Stream stream, string name)
    {
        try
        {
            var json = JsonNode.Parse(stream)?.AsObject() ?? throw new InvalidDataException("empty");
            if ((string?)json["format"] != FormatName)
            {
                throw new InvalidDataException($"format is not {FormatName}");
            }

            var signals = json["signals"]?.AsArray().Select(node => (string?)node).ToArray() ?? [];
            if (!signals.SequenceEqual(ClassifierInput.SignalNames))
            {
                throw new InvalidDataException($"signals [{string.Join(", ", signals)}] are not this version's [{string.Join(", ", ClassifierInput.SignalNames)}]");
            }

            var weights = json["weights"]?.AsArray().Select(node => node!.GetValue<float>()).ToArray() ?? [];
            var bias = json["bias"]?.GetValue<float>() ?? throw new InvalidDataException("bias missing");
            if (weights.Append(bias).Any(value => !float.IsFinite(value)))
            {
                throw new InvalidDataException("a weight is not a finite number");
            }

            return new RouterModel(weights, bias, json["training"]?.DeepClone().AsObject());
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or FormatException or InvalidDataException)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Router model file '{name}' cannot be used: {exception.Message}"), exception);
        }
    }

    public static RouterModel Load(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Load(stream, path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Router model file '{path}' cannot be read: {exception.Message}", exception);
        }
    }
}
