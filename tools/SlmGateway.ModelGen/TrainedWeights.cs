using System.Text.Json;

namespace SlmGateway.ModelGen;

/// <summary>
/// Weights a training engine wrote: <c>NAME.json</c> indexes float32 tensors in <c>NAME.bin</c> by
/// their ONNX names, projections in the <c>[out, in]</c> order of PyTorch's <c>nn.Linear</c>. Written
/// as float32 (no quantization), so the model answers exactly as it was trained.
/// </summary>
internal sealed class TrainedWeights : DecoderWeights
{
    private readonly Dictionary<string, (long[] Shape, long Offset)> _index;
    private readonly string _dataPath;

    public TrainedWeights(string path)
    {
        _dataPath = path + ".bin";
        using var manifest = JsonDocument.Parse(File.ReadAllText(path + ".json"));
        if (manifest.RootElement.GetProperty("format").GetString() != "float32-le")
        {
            throw new InvalidDataException($"{path}.json: only float32-le weights are read.");
        }

        _index = manifest.RootElement.GetProperty("tensors").EnumerateArray().ToDictionary(
            tensor => tensor.GetProperty("name").GetString()!,
            tensor => (tensor.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(), tensor.GetProperty("offset").GetInt64()),
            StringComparer.Ordinal);
    }

    public override bool Quantized => false;

    public override Action<Span<byte>>? LogitBias => null;

    public override void Fill(string name, Span<float> values) => Read(name, values.Length, values);

    public override void FillProjection(string name, int inFeatures, int outFeatures, Span<float> values)
    {
        var trained = new float[values.Length];
        Read($"{name}.weight", values.Length, trained);
        for (var output = 0; output < outFeatures; output++)
        {
            for (var input = 0; input < inFeatures; input++)
            {
                values[(input * outFeatures) + output] = trained[(output * inFeatures) + input];
            }
        }
    }

    public override void FillQuantized(string name, int inFeatures, Span<byte> blocks, Span<float> scales) =>
        throw new NotSupportedException("Trained weights are written as float32.");

    private void Read(string name, long count, Span<float> destination)
    {
        if (!_index.TryGetValue(name, out var tensor))
        {
            throw new InvalidDataException($"The trained weights have no tensor '{name}'.");
        }

        var elements = tensor.Shape.Aggregate(1L, (product, dim) => product * dim);
        if (elements != count)
        {
            throw new InvalidDataException($"The trained tensor '{name}' has {elements} values; the decoder's shape needs {count}.");
        }

        using var file = File.OpenRead(_dataPath);
        file.Position = tensor.Offset;
        file.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination));
    }
}
