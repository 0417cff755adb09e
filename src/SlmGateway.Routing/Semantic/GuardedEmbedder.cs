using SlmGateway.Core.Ports;

namespace SlmGateway.Routing.Semantic;

/// <summary>
/// A MiniLM embedder loaded on first use, whose embeddings run under a read lock so that disposal
/// never frees the session under a running one.
/// </summary>
internal sealed class GuardedEmbedder(int threads) : ITextEmbedder, IDisposable
{
    private readonly Lazy<MiniLmEmbedder> _embedder = new(() => new MiniLmEmbedder(threads));
    private readonly ReaderWriterLockSlim _lifetime = new();
    private bool _disposed;

    public float[] Embed(string text)
    {
        _lifetime.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _embedder.Value.Embed(text);
        }
        finally
        {
            _lifetime.ExitReadLock();
        }
    }

    public void Dispose()
    {
        _lifetime.EnterWriteLock();
        try
        {
            _disposed = true;
            if (_embedder.IsValueCreated)
            {
                _embedder.Value.Dispose();
            }
        }
        finally
        {
            _lifetime.ExitWriteLock();
        }
    }
}
