using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Conversion;

namespace SlmGateway.Routing.Semantic;

/// <summary>
/// The semantic step: embeds a task and votes among the exemplars. The model (90 MB) and the
/// exemplar index load on first use, or after start-up when <c>auto</c> routing is configured.
/// </summary>
internal sealed class SemanticScorer : ITextEmbedder, IDisposable
{
    private readonly Lazy<MiniLmEmbedder> _embedder = new(() => new MiniLmEmbedder());
    private readonly Lazy<ExemplarIndex> _index;
    private readonly ReaderWriterLockSlim _lifetime = new();
    private bool _disposed;

    public SemanticScorer(IOptions<RoutingOptions> options)
    {
        var file = options.Value.ExemplarsFile;
        _index = new Lazy<ExemplarIndex>(() => new ExemplarIndex(Embed, ExemplarIndex.Load(file)));
    }

    public void WarmUp()
    {
        try
        {
            _ = _index.Value;
        }
        catch (ObjectDisposedException)
        {
            // The host stopped before the warm-up finished; nothing is left to warm.
        }
    }

    public double LocalProbability(string task) => _index.Value.LocalProbability(Embed(task));

    /// <summary>Embeddings run under a read lock so that disposal never frees the session under a running one.</summary>
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
