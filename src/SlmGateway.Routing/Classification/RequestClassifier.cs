using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;
using SlmGateway.Routing.Semantic;

namespace SlmGateway.Routing.Classification;

/// <summary>
/// Cheapest signal first: structural rules that settle a request outright (what the local model
/// cannot take, what is forced into a narrow shape), then the semantic vote on the task.
/// </summary>
internal sealed class RequestClassifier(SemanticScorer semantic, IOptionsMonitor<RoutingOptions> options) : IRequestClassifier
{
    public RoutingDecision Classify(ChatCompletionRequest request, LocalLimits local)
    {
        var features = RequestFeatures.Extract(request);
        if (Structural(features, local) is { } settled)
        {
            return settled;
        }

        var probability = semantic.LocalProbability(features.LastUserText);
        return probability >= options.CurrentValue.Threshold
            ? new RoutingDecision(BackendKeys.Local, RoutingReasons.SemanticLocal, probability)
            : new RoutingDecision(BackendKeys.Remote, RoutingReasons.SemanticRemote, probability);
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
