using SlmGateway.Contracts.Chat;

namespace SlmGateway.Core.Routing;

/// <summary>
/// Decides, for a request that may go either way, whether the local model suffices: structural
/// rules first (no model), then a semantic vote. The router may consult other signals between them.
/// </summary>
public interface IRequestClassifier
{
    /// <summary>The rules that need no model: what the local model cannot take, what is forced into a narrow shape; null when they do not settle it.</summary>
    RoutingDecision? ClassifyByStructure(ChatCompletionRequest request, LocalLimits local);

    /// <summary>The semantic vote on the task, moved by structural signals, against the threshold.</summary>
    RoutingDecision ClassifyBySemantics(ChatCompletionRequest request, double threshold);
}

/// <summary>What the local model can take, for the structural rules.</summary>
public sealed record LocalLimits(int ContextTokens, int MaxOutputTokens);
