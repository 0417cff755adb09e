using System.Runtime.CompilerServices;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;
using SlmGateway.Routing.Semantic;

namespace SlmGateway.Routing.Classification;

/// <summary>
/// Cheapest signal first: structural rules that settle a request outright (what the local model
/// cannot take, what is forced into a narrow shape), then the trained classifier: its lexical stage,
/// and where that is unsure, its semantic stage (see <see cref="RouterModel"/>).
/// </summary>
internal sealed class RequestClassifier(RequestEmbedder embedder, RouterModelSource model) : IRequestClassifier, IDisposable
{
    private readonly ToolEmbeddingCache _tools = new(embedder.Embed);
    // The router asks both steps about the same request: its features are extracted once.
    private readonly ConditionalWeakTable<ChatCompletionRequest, RequestFeatures> _features = [];

    /// <summary>Both steps, as the router runs them when nothing comes between.</summary>
    public RoutingDecision Classify(ChatCompletionRequest request, LocalLimits local, double threshold) =>
        ClassifyByStructure(request, local) ?? ClassifyBySemantics(request, threshold);

    public RoutingDecision? ClassifyByStructure(ChatCompletionRequest request, LocalLimits local) =>
        Structural(FeaturesOf(request), local);

    public RoutingDecision ClassifyBySemantics(ChatCompletionRequest request, double threshold)
    {
        var probability = LocalProbability(request, threshold);
        return probability >= threshold
            ? new RoutingDecision(BackendKeys.Local, RoutingReasons.SemanticLocal, probability)
            : new RoutingDecision(BackendKeys.Remote, RoutingReasons.SemanticRemote, probability);
    }

    /// <summary>
    /// The trained classifier's probability that the local model suffices: the lexical stage's when
    /// it is clear of the threshold by the model's margin, otherwise the semantic stage's.
    /// </summary>
    public double LocalProbability(ChatCompletionRequest request, double threshold)
    {
        var router = model.Current;
        var features = FeaturesOf(request);
        var lexical = router.LexicalProbability(LexicalInput.Of(features));
        return router.Settles(lexical, threshold) ? lexical : router.SemanticProbability(SemanticInput.Of(features, embedder.Embed, _tools.Embed));
    }

    public void Dispose() => _tools.Dispose();

    private RequestFeatures FeaturesOf(ChatCompletionRequest request) => _features.GetValue(request, RequestFeatures.Extract);

    /// <summary>The rules that need no model; null when they do not settle the request.</summary>
    public static RoutingDecision? Structural(RequestFeatures features, LocalLimits local)
    {
        if (!features.TextOnly || features.Choices != 1)
        {
            return new RoutingDecision(BackendKeys.Remote, RoutingReasons.UnsupportedLocally, 0);
        }

        if (features.ApproxPromptTokens >= local.ContextTokens)
        {
            return new RoutingDecision(BackendKeys.Remote, RoutingReasons.TooLong, 0);
        }

        if (features.MaxOutputTokens > local.MaxOutputTokens)
        {
            return new RoutingDecision(BackendKeys.Remote, RoutingReasons.LongOutput, 0);
        }

        if (features.ToolChoice is "required" or "function" || features.ResponseFormat == "json_schema")
        {
            return new RoutingDecision(BackendKeys.Local, RoutingReasons.ForcedStructure, 1);
        }

        return null;
    }
}
