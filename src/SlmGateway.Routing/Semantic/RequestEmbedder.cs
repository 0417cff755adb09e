using SlmGateway.Core.Ports;

namespace SlmGateway.Routing.Semantic;

/// <summary>
/// The gateway's one MiniLM embedder, shared by the router, capture's clustering and shadow
/// agreement: two intra-op threads, because a routing decision waits for it. The model (90 MB) loads
/// on first use, or after start-up when <c>auto</c> routing is configured; a gateway that never needs
/// an embedding never loads it.
/// </summary>
internal sealed class RequestEmbedder : ITextEmbedder, IDisposable
{
    private readonly GuardedEmbedder _embedder = new(threads: 2);

    public void WarmUp()
    {
        try
        {
            _ = _embedder.Embed("warm up");
        }
        catch (ObjectDisposedException)
        {
            // The host stopped before the warm-up finished; nothing is left to warm.
        }
    }

    public float[] Embed(string text) => _embedder.Embed(text);

    public void Dispose() => _embedder.Dispose();
}
