namespace SlmGateway.Core.Ports;

/// <summary>
/// Sentence embeddings, L2-normalised so that a dot product is the cosine similarity. One instance
/// serves the router and the loop's background work alike.
/// </summary>
public interface ITextEmbedder
{
    float[] Embed(string text);
}
