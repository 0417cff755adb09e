namespace SlmGateway.Core.Ports;

/// <summary>Sentence embeddings, L2-normalised so that a dot product is the cosine similarity.</summary>
public interface ITextEmbedder
{
    float[] Embed(string text);
}

/// <summary>Service keys of the embedders.</summary>
public static class TextEmbedders
{
    /// <summary>
    /// The embedder for work off the request path: one thread, the caller's, so it runs at the
    /// caller's (low) priority. The unkeyed embedder uses two threads for routing latency.
    /// </summary>
    public const string Background = "background";
}
