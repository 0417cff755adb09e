using System.Collections.Concurrent;
using SlmGateway.Core.Ports;

namespace SlmGateway.Conversion.Clustering;

/// <summary>
/// Remembers the embeddings of texts that recur — an agent sends the same system prompt with every
/// call — up to a bound, after which it starts afresh.
/// </summary>
internal sealed class CachingEmbedder(ITextEmbedder inner, int capacity = 1024) : ITextEmbedder
{
    private readonly ConcurrentDictionary<string, float[]> _embeddings = new(StringComparer.Ordinal);

    public float[] Embed(string text)
    {
        if (_embeddings.TryGetValue(text, out var known))
        {
            return known;
        }

        if (_embeddings.Count >= capacity)
        {
            _embeddings.Clear();
        }

        var embedding = inner.Embed(text);
        _embeddings[text] = embedding;
        return embedding;
    }
}
