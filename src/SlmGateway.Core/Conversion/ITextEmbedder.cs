namespace SlmGateway.Core.Conversion;

/// <summary>Sentence embeddings, L2-normalised so that a dot product is the cosine similarity.</summary>
public interface ITextEmbedder
{
    float[] Embed(string text);
}
