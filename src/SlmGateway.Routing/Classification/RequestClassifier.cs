using System.Runtime.CompilerServices;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;
using SlmGateway.Routing.Semantic;

namespace SlmGateway.Routing.Classification;

/// <summary>
/// Cheapest signal first: structural rules that settle a request outright (what the local model
/// cannot take, what is forced into a narrow shape), then the semantic vote on the task.
/// </summary>
internal sealed class RequestClassifier(SemanticScorer semantic) : IRequestClassifier
{
    // The router asks both steps about the same request: its features are extracted once.
    private readonly ConditionalWeakTable<ChatCompletionRequest, RequestFeatures> _features = [];

    /// <summary>Both steps, as the router runs them when nothing comes between.</summary>
    public RoutingDecision Classify(ChatCompletionRequest request, LocalLimits local, double threshold) =>
        ClassifyByStructure(request, local) ?? ClassifyBySemantics(request, threshold);

    public RoutingDecision? ClassifyByStructure(ChatCompletionRequest request, LocalLimits local) =>
        Structural(FeaturesOf(request), local);

    public RoutingDecision ClassifyBySemantics(ChatCompletionRequest request, double threshold)
    {
        var features = FeaturesOf(request);
        var probability = Combine(semantic.LocalProbability(features.LastUserText), features);
        return probability >= threshold
            ? new RoutingDecision(BackendKeys.Local, RoutingReasons.SemanticLocal, probability)
            : new RoutingDecision(BackendKeys.Remote, RoutingReasons.SemanticRemote, probability);
    }

    private RequestFeatures FeaturesOf(ChatCompletionRequest request) => _features.GetValue(request, RequestFeatures.Extract);

    /// <summary>
    /// The semantic vote, moved by structural signals: a request that offers tools the model may call
    /// is usually a narrow agent step, one with neither tools nor a structured output must look
    /// clearly narrow to stay local, and a long, many-part ask is usually open-ended work.
    /// Weights set by hand on the development data (see the README's evaluation command).
    /// </summary>
    public static double Combine(double semanticProbability, RequestFeatures features)
    {
        const double ToolsOffered = 0.3;
        const double NoToolsNoStructure = 0.3;
        const double PerDoublingOverLongAsk = 0.1;
        const int LongAskChars = 400;
        var probability = semanticProbability;
        if (features.ToolCount > 0 && features.ToolChoice != "none")
        {
            probability += ToolsOffered;
        }
        else if (features.ResponseFormat is null)
        {
            probability -= NoToolsNoStructure;
        }

        if (features.LastUserText.Length > LongAskChars)
        {
            probability -= PerDoublingOverLongAsk * Math.Log2((double)features.LastUserText.Length / LongAskChars);
        }

        return Math.Clamp(probability, 0, 1);
    }

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
