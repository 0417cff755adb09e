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
    /// Loads on a thread-pool thread, whatever thread asks first. A native thread inherits the
    /// scheduling policy of the thread that starts it, and ONNX Runtime starts its intra-op threads
    /// when the session is made: made from capture's clustering thread (the idle policy), they ran
    /// every later embedding's share, the router's too, at the idle policy, which a process without
    /// privilege cannot raise again. And the load itself (under a second of CPU) took over 15 s there
    /// under load.
    /// </summary>
    private static MiniLmEmbedder Load(int threads) => Task.Run(() => new MiniLmEmbedder(threads)).GetAwaiter().GetResult();

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
