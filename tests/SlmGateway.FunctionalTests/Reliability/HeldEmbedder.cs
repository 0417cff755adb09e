using SlmGateway.Core.Ports;

namespace SlmGateway.FunctionalTests.Reliability;

/// <summary>
/// The gateway's embedder, except that a text with <see cref="Marker"/> waits until released (at most
/// a minute): an embedding that gets no core, as at saturation.
/// </summary>
internal sealed class HeldEmbedder(ITextEmbedder inner, ManualResetEventSlim release) : ITextEmbedder
{
    public const string Marker = "hold-this-embedding";

    public float[] Embed(string text)
    {
        if (text.Contains(Marker, StringComparison.Ordinal))
        {
            release.Wait(TimeSpan.FromMinutes(1));
        }

        return inner.Embed(text);
    }
}
