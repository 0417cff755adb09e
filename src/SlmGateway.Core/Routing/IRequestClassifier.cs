using SlmGateway.Contracts.Chat;

namespace SlmGateway.Core.Routing;

/// <summary>Decides, for a request that may go either way, whether the local model suffices.</summary>
public interface IRequestClassifier
{
    RoutingDecision Classify(ChatCompletionRequest request, LocalLimits local, double threshold);
}

/// <summary>What the local model can take, for the structural rules.</summary>
public sealed record LocalLimits(int ContextTokens, int MaxOutputTokens);
