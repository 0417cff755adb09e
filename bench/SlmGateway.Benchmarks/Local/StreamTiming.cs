namespace SlmGateway.Benchmarks.Local;

/// <summary>When one generation's first and last tokens arrived, counted from its start, and how many there were.</summary>
internal sealed record StreamTiming(double FirstTokenMs, double LastTokenMs, int Tokens)
{
    /// <summary>Tokens per second after the first (the prompt's cost is in <see cref="FirstTokenMs"/>).</summary>
    public double DecodeTokensPerSecond => (Tokens - 1) / ((LastTokenMs - FirstTokenMs) / 1000);
}

/// <summary>Several generations at once: tokens made in all, over the wall time from the first start to the last token.</summary>
internal sealed record AggregateRun(int Tokens, double WallMs)
{
    public double TokensPerSecond => Tokens / (WallMs / 1000);
}
