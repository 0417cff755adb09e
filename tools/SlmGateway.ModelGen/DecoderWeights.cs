namespace SlmGateway.ModelGen;

/// <summary>
/// Where a decoder's weights come from. Names are the ONNX initializer names
/// (<c>model.layers.0.attn.q_proj</c>, <c>model.embed_tokens.weight</c>, ...); projections are
/// either 4-bit blocks (<see cref="Quantized"/>) or float32 matrices in <c>[in, out]</c> order.
/// </summary>
internal abstract class DecoderWeights
{
    /// <summary>Projections are written as 4-bit MatMulNBits blocks rather than float MatMul.</summary>
    public abstract bool Quantized { get; }

    /// <summary>A bias added to the logits (random models use it to stay readable); null for none.</summary>
    public abstract Action<Span<byte>>? LogitBias { get; }

    /// <summary>Fills a float tensor (embedding, norm weights) of the given name.</summary>
    public abstract void Fill(string name, Span<float> values);

    /// <summary>Fills a float projection from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>, row-major <c>[in, out]</c>.</summary>
    public abstract void FillProjection(string name, int inFeatures, int outFeatures, Span<float> values);

    /// <summary>Fills a 4-bit projection's packed blocks and its per-block scales.</summary>
    public abstract void FillQuantized(string name, int inFeatures, Span<byte> blocks, Span<float> scales);
}
