using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Ports;

namespace SlmGateway.Routing.Semantic;

/// <summary>
/// The semantic step: embeds a task and votes among the exemplars. The model (90 MB) and the
/// exemplar index load on first use, or after start-up when <c>auto</c> routing is configured.
/// </summary>
internal sealed class SemanticScorer : ITextEmbedder, IDisposable
{
    // Two intra-op threads: a routing decision waits for this embedding.
    private readonly GuardedEmbedder _embedder = new(threads: 2);
    private readonly Lazy<ExemplarIndex> _index;

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

    public float[] Embed(string text) => _embedder.Embed(text);

    public void Dispose() => _embedder.Dispose();
}
