using SlmGateway.Core.Ports;

namespace SlmGateway.Routing.Semantic;

/// <summary>
/// The gateway's one MiniLM embedder, shared by the router, capture's clustering and shadow
/// agreement. The model (90 MB) loads on first use, or after start-up when <c>auto</c> routing is
/// configured; a gateway that never needs an embedding never loads it.
/// One intra-op thread, so that each embedding runs wholly at its caller's scheduling policy: with
/// two, ONNX Runtime's second thread (at the normal policy) ran half of every clustering and shadow
/// embedding begun on the idle-policy threads, beside the requests. A second thread took a 32-word
/// embedding from 6.1-6.3 to 4.1-4.8 ms on an idle two-core machine, and gains nothing on a busy one.
/// </summary>
internal sealed class RequestEmbedder : ITextEmbedder, IDisposable
{
    private readonly GuardedEmbedder _embedder = new(threads: 1);

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
