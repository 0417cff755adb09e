using SlmGateway.Core.Ports;

namespace SlmGateway.Routing.Semantic;

/// <summary>
/// A MiniLM embedder loaded on first use, whose embeddings run under a read lock so that disposal
/// never frees the session under a running one.
/// </summary>
internal sealed class GuardedEmbedder(int threads) : ITextEmbedder, IDisposable
{
    private readonly Lazy<MiniLmEmbedder> _embedder = new(() => Load(threads));
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

    /// <summary>
    /// ONNX Runtime holds its own copy of the weights once the session exists: the 90 MB array it
    /// was made from is collected at once rather than at the next full collection, which under a
    /// steady load can be long in coming (the resident set stayed 90 MB higher).
    /// </summary>
    private static MiniLmEmbedder Load(int threads)
    {
        var embedder = new MiniLmEmbedder(threads);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return embedder;
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
