using Microsoft.Extensions.Caching.Memory;

namespace SlmGateway.Routing.Semantic;

/// <summary>
/// Embeddings of tool descriptions, kept because agents send the same tools with every call:
/// at most <paramref name="capacity"/> of them (1.5 KB each), the least used compacted first.
/// </summary>
internal sealed class ToolEmbeddingCache(Func<string, float[]> embed, int capacity = 8192) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = capacity, CompactionPercentage = 0.25 });

    public float[] Embed(string toolText)
    {
        if (_cache.TryGetValue(toolText, out float[]? embedding))
        {
            return embedding!;
        }

        embedding = embed(toolText);
        _cache.Set(toolText, embedding, new MemoryCacheEntryOptions { Size = 1 });
        return embedding;
    }

    public void Dispose() => _cache.Dispose();
}
