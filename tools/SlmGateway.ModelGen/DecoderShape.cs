namespace SlmGateway.ModelGen;

/// <summary>The dimensions of a Qwen2-style decoder (RMSNorm, grouped-query attention with rotary, SwiGLU MLP).</summary>
internal sealed record DecoderShape(
    string Preset,
    int VocabSize,
    int HiddenSize,
    int Layers,
    int Heads,
    int KvHeads,
    int IntermediateSize,
    int ContextLength,
    int BlockSize = 32)
{
    /// <summary>Test and quick-start fixture: a few hundred KB, thousands of tokens per second.</summary>
    public static DecoderShape Tiny { get; } = new("tiny", 259, 64, 2, 4, 2, 128, 2048);

    /// <summary>The shape of Qwen2.5-0.5B-Instruct, for honest throughput benchmarks.</summary>
    public static DecoderShape Qwen25HalfB { get; } = new("qwen2.5-0.5b", 151936, 896, 24, 14, 2, 4864, 32768);

    public static IReadOnlyList<DecoderShape> Presets { get; } = [Tiny, Qwen25HalfB];

    public int HeadSize => HiddenSize / Heads;
}
