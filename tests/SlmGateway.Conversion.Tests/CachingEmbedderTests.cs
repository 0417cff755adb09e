using SlmGateway.Conversion.Clustering;
using SlmGateway.Core.Ports;

namespace SlmGateway.Conversion.Tests;

public sealed class CachingEmbedderTests
{
    [Fact]
    public void RecurringSystemPrompt_IsEmbeddedOnce_AndCallersCannotChangeTheCachedEmbedding()
    {
        var counting = new CountingEmbedder();
        var cache = new CachingEmbedder(counting, capacity: 2);

        var first = TaskSignature.Embed(counting, "user: hi\nsystem: be brief", cache);
        first[0] = 42;
        var second = TaskSignature.Embed(counting, "user: hi\nsystem: be brief", cache);

        Assert.Equal(["be brief", "user: hi\n", "user: hi\n"], counting.Texts);
        Assert.Equal(first[1], second[1]);
        Assert.NotEqual(42, second[0]);
    }

    [Fact]
    public void OverCapacity_StartsAfresh()
    {
        var counting = new CountingEmbedder();
        var cache = new CachingEmbedder(counting, capacity: 2);

        foreach (var text in new[] { "a", "b", "c", "a" })
        {
            cache.Embed(text);
        }

        Assert.Equal(["a", "b", "c", "a"], counting.Texts);
    }

    /// <summary>Stands in for MiniLM: the cache is under test here, not the embedding.</summary>
    private sealed class CountingEmbedder : ITextEmbedder
    {
        public List<string> Texts { get; } = [];

        public float[] Embed(string text)
        {
            Texts.Add(text);
            return [text.Length, 1, 0];
        }
    }
}
