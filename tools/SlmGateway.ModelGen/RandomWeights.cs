namespace SlmGateway.ModelGen;

/// <summary>
/// Seeded random 4-bit weights: a fixture that runs the whole GenAI path and writes readable random
/// text (printable tokens get a zero logit bias, all others a large negative one, so it never ends by itself).
/// </summary>
internal sealed class RandomWeights(int vocabSize, int seed, IReadOnlySet<int> likelyTokens) : DecoderWeights
{
    private const float UnlikelyLogitBias = -30f;
    private const float EmbeddingAmplitude = 0.5f;
    private readonly Random _random = new(seed);

    public override bool Quantized => true;

    public override Action<Span<byte>>? LogitBias => span =>
    {
        var floats = span.AsFloats();
        for (var token = 0; token < vocabSize; token++)
        {
            floats[token] = likelyTokens.Contains(token) ? 0f : UnlikelyLogitBias;
        }
    };

    public override void Fill(string name, Span<float> values)
    {
        if (name.EndsWith("norm.weight", StringComparison.Ordinal))
        {
            values.Fill(1f);
            return;
        }

        for (var i = 0; i < values.Length; i++)
        {
            values[i] = ((_random.NextSingle() * 2f) - 1f) * EmbeddingAmplitude;
        }
    }

    public override void FillProjection(string name, int inFeatures, int outFeatures, Span<float> values) =>
        throw new NotSupportedException("Random weights are written 4-bit.");

    public override void FillQuantized(string name, int inFeatures, Span<byte> blocks, Span<float> scales)
    {
        _random.NextBytes(blocks);
        scales.Fill(1f / MathF.Sqrt(inFeatures) / 4f);
    }
}
