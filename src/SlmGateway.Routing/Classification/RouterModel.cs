using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Routing.Semantic;

namespace SlmGateway.Routing.Classification;

/// <summary>
/// The trained router, two logistic regressions in a cascade, cheapest first: the lexical stage
/// (hashed words of the ask and the shape signals, microseconds) decides when its probability is at
/// least <see cref="Margin"/> away from the threshold; otherwise the semantic stage (the ask's MiniLM
/// embedding, the shape signals and the tool match, milliseconds) decides. Stored as a small JSON
/// file: its format, the signal names each stage was trained with, the weights and biases, the
/// margin, and what it was trained on.
/// </summary>
internal sealed class RouterModel
{
    public const string FormatName = "slmgw-router-cascade/1";

    public RouterModel(LinearStage lexical, double margin, LinearStage semantic, JsonObject? training = null)
    {
        if (lexical.Weights.Length != LexicalInput.Dimensions || semantic.Weights.Length != MiniLmEmbedder.Dimensions + SemanticInput.SignalNames.Length)
        {
            throw new InvalidDataException($"expected {LexicalInput.Dimensions} lexical and {MiniLmEmbedder.Dimensions + SemanticInput.SignalNames.Length} semantic weights, found {lexical.Weights.Length} and {semantic.Weights.Length}");
        }

        if (!lexical.IsFinite || !semantic.IsFinite || margin is < 0 or > 0.5 || double.IsNaN(margin))
        {
            throw new InvalidDataException("a weight is not a finite number, or the margin is not between 0 and 0.5");
        }

        (Lexical, Margin, Semantic, Training) = (lexical, margin, semantic, training ?? []);
    }

    public LinearStage Lexical { get; }

    /// <summary>How far from the threshold the lexical stage's probability must be for it to decide alone.</summary>
    public double Margin { get; }

    public LinearStage Semantic { get; }

    /// <summary>What it was trained on (sources, counts, held-back results), as the training command wrote it.</summary>
    public JsonObject Training { get; }

    public double LexicalProbability(LexicalInput input) => Lexical.Probability(input.Indices, input.Values);

    public double SemanticProbability(SemanticInput input) => Semantic.Probability(input.Embedding, input.Signals);

    /// <summary>Whether the lexical stage's probability settles the request at this threshold.</summary>
    public bool Settles(double lexicalProbability, double threshold) => Math.Abs(lexicalProbability - threshold) >= Margin;

    public void Save(string path)
    {
        var json = new JsonObject
        {
            ["format"] = FormatName,
            ["lexical"] = new JsonObject
            {
                ["buckets"] = LexicalInput.Buckets,
                ["signals"] = Names(LexicalInput.SignalNames),
                ["margin"] = Margin,
                ["bias"] = Lexical.Bias,
                ["weights_float32_base64"] = Convert.ToBase64String(MemoryMarshal.AsBytes(Lexical.Weights.AsSpan())),
            },
            ["semantic"] = new JsonObject
            {
                ["embedding"] = "all-MiniLM-L6-v2",
                ["signals"] = Names(SemanticInput.SignalNames),
                ["bias"] = Semantic.Bias,
                ["weights"] = new JsonArray(Semantic.Weights.Select(weight => (JsonNode)weight).ToArray()),
            },
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

            var lexical = json["lexical"]?.AsObject() ?? throw new InvalidDataException("lexical stage missing");
            var semantic = json["semantic"]?.AsObject() ?? throw new InvalidDataException("semantic stage missing");
            CheckSignals(lexical, LexicalInput.SignalNames);
            CheckSignals(semantic, SemanticInput.SignalNames);
            if ((int?)lexical["buckets"] != LexicalInput.Buckets)
            {
                throw new InvalidDataException($"lexical buckets are not {LexicalInput.Buckets}");
            }

            var lexicalWeights = MemoryMarshal.Cast<byte, float>(Convert.FromBase64String((string?)lexical["weights_float32_base64"] ?? string.Empty)).ToArray();
            var semanticWeights = semantic["weights"]?.AsArray().Select(node => node!.GetValue<float>()).ToArray() ?? [];
            return new RouterModel(
                new LinearStage(lexicalWeights, Bias(lexical)),
                lexical["margin"]?.GetValue<double>() ?? throw new InvalidDataException("margin missing"),
                new LinearStage(semanticWeights, Bias(semantic)),
                json["training"]?.DeepClone().AsObject());
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

    private static JsonArray Names(string[] names) => new(names.Select(name => (JsonNode)name).ToArray());

    private static float Bias(JsonObject stage) => stage["bias"]?.GetValue<float>() ?? throw new InvalidDataException("bias missing");

    private static void CheckSignals(JsonObject stage, string[] expected)
    {
        var signals = stage["signals"]?.AsArray().Select(node => (string?)node).ToArray() ?? [];
        if (!signals.SequenceEqual(expected))
        {
            throw new InvalidDataException($"signals [{string.Join(", ", signals)}] are not this version's [{string.Join(", ", expected)}]");
        }
    }
}
