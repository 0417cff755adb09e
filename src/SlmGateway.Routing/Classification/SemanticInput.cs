using System.Numerics.Tensors;

namespace SlmGateway.Routing.Classification;

/// <summary>
/// What the classifier's second stage reads of a request: the embedding of its ask, its shape signals, and
/// how well the ask matches the best-fitting tool offered (cosine of the ask and the tool's name and
/// description): an agent step asks for what a tool does, a hard ask merely carries the agent's tools.
/// </summary>
internal readonly record struct SemanticInput(float[] Embedding, float[] Signals)
{
    public static readonly string[] SignalNames = [.. ShapeSignals.Names, "tool_match"];

    /// <param name="embedTool">Embeds a tool's text; tools recur from call to call, so this is usually a cache.</param>
    public static SemanticInput Of(RequestFeatures features, Func<string, float[]> embed, Func<string, float[]> embedTool)
    {
        var embedding = embed(AskText.ForEmbedding(features.Ask));
        var match = 0f;
        if (features.ToolsOffered)
        {
            foreach (var tool in features.Tools)
            {
                match = Math.Max(match, TensorPrimitives.Dot(embedding, embedTool(RequestFeatures.ToolText(tool))));
            }
        }

        return new(embedding, [.. ShapeSignals.Of(features), match]);
    }

    /// <summary>Both parts as one vector, in the order of the model's weights.</summary>
    public float[] Concatenated() => [.. Embedding, .. Signals];
}
