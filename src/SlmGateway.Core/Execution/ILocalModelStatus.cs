namespace SlmGateway.Core.Execution;

/// <summary>The state of each local model (loading, ready, failed) and its queue, for readiness.</summary>
public interface ILocalModelStatus
{
    IReadOnlyDictionary<string, LocalModelState> States { get; }
}

/// <summary>
/// One local model's state (<c>loading</c>, <c>ready</c> or <c>failed</c>), its generations running
/// and waiting, and how many have completed, been cancelled by their client, or failed since start.
/// </summary>
public sealed record LocalModelState(string State, int Active, int Queued, long Completed, long Cancelled, long Failed)
{
    /// <summary>Prompt plus answer tokens the model takes; 0 until it has loaded.</summary>
    public int ContextLength { get; init; }

    public int MaxOutputTokens { get; init; }
}
