using SlmGateway.Contracts.Chat;

namespace SlmGateway.Routing.Training;

/// <summary>
/// A chat request with the route it should take: where it came from, and the group of requests
/// built from the same original (kept on one side of the training / held-back split together).
/// </summary>
internal sealed record LabelledRequest(string Source, string Group, ChatCompletionRequest Request, bool Local)
{
    /// <summary>How much the example counts in training (evidence from the gateway's own traffic may count more).</summary>
    public float Weight { get; init; } = 1;
}
