using System.Threading.RateLimiting;
using SlmGateway.Backends.Onnx.Models;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Execution;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>
/// Getting a local generation slot: the model loaded (a request that arrives while it loads waits),
/// the predicted queue wait within bounds when the plan lets the request leave, and a place in the queue.
/// </summary>
internal static class LocalAdmission
{
    private static readonly TimeSpan OverloadRetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>The loaded model, or the failure to answer with (a model that failed to load).</summary>
    public static async Task<(LocalModel? Model, BackendOutcome? Failure)> ModelAsync(LocalModelRegistry registry, string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await registry.Find(name)!.WaitAsync(cancellationToken), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (null, BackendOutcome.Failed(FailureKinds.Refused, GatewayError.Unavailable($"The local model '{name}' failed to load."), AttemptReport.Empty));
        }
    }

    /// <summary>A generation slot, or the overload to answer with: the queue is full, or (when the request may spill) the wait would be too long.</summary>
    public static async Task<(RateLimitLease? Slot, BackendOutcome? Failure)> SlotAsync(LocalModel model, bool maySpill, CancellationToken cancellationToken)
    {
        if (maySpill && PredictedWait(model) > model.Options.MaxQueueWait)
        {
            return (null, Overloaded(model));
        }

        var slot = await model.Scheduler.EnterAsync(cancellationToken);
        return slot is null ? (null, Overloaded(model)) : (slot, null);
    }

    private static BackendOutcome Overloaded(LocalModel model) =>
        BackendOutcome.Failed(FailureKinds.Overloaded, GatewayError.ModelOverloaded(model.Options.Name), AttemptReport.Empty, OverloadRetryAfter);

    /// <summary>How long a request arriving now would wait for a slot: zero while one is free, unknown (zero) before any generation has completed.</summary>
    private static TimeSpan PredictedWait(LocalModel model)
    {
        var scheduler = model.Scheduler;
        return scheduler.Active < scheduler.MaxConcurrency || model.Counters.AverageDuration is not { } average
            ? TimeSpan.Zero
            : average * (scheduler.Queued + 1) / scheduler.MaxConcurrency;
    }
}
