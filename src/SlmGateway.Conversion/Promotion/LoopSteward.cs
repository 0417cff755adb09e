using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlmGateway.Conversion.Clustering;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Diagnostics;

namespace SlmGateway.Conversion.Promotion;

/// <summary>
/// The loop's periodic work: re-reads clusters from the store, applies the promotion policy when it
/// is automatic, and deletes captured calls past their retention. The admin API runs the same steps on
/// demand and changes states by hand through <see cref="ChangeAsync"/>.
/// </summary>
internal sealed partial class LoopSteward(
    TraceStore store, ClusterIndex clusters, IOptionsMonitor<LoopOptions> options, GatewayMetrics metrics, ILogger<LoopSteward> logger) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Refreshes clusters and applies the policy now; returns the changes it made.</summary>
    public async Task<List<ClusterEvent>> EvaluateAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var rows = await store.ClustersAsync(cancellationToken);
            clusters.Load(rows);
            var changes = PromotionPolicy.Decide(
                rows, await store.ShadowStatsAsync(cancellationToken), await store.TrafficStatsAsync(cancellationToken), options.CurrentValue.Promotion,
                DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            foreach (var change in changes)
            {
                await ApplyAsync(change, cancellationToken);
            }

            return changes;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Records a change of state (by the policy or by hand) and routes by it at once; false for an unknown cluster.</summary>
    public async Task<bool> ChangeAsync(ClusterEvent change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await ApplyAsync(change, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CurrentValue.Promotion.Interval);
        try
        {
            await RunOnceAsync(stoppingToken);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RunOnceAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var capture = options.CurrentValue.Capture;
        if (!capture.Enabled && !capture.Keys.Values.Any(on => on))
        {
            return;
        }

        try
        {
            if (options.CurrentValue.Promotion.Automatic)
            {
                await EvaluateAsync(cancellationToken);
            }
            else
            {
                clusters.Load(await store.ClustersAsync(cancellationToken));
            }

            if (capture.RetentionDays is > 0 and var days)
            {
                var before = DateTimeOffset.UtcNow.AddDays(-days).ToUnixTimeMilliseconds();
                await store.DeleteCapturesAsync(null, before, cancellationToken);
                await store.PruneAsync(before, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStepFailed(logger, ex.Message);
        }
    }

    private async Task<bool> ApplyAsync(ClusterEvent change, CancellationToken cancellationToken)
    {
        if (!await store.ChangeStateAsync(change, cancellationToken))
        {
            return false;
        }

        clusters.SetState(change.ClusterId, change.ToState, change.Model);
        metrics.ClusterChanges.Add(1, new KeyValuePair<string, object?>("state", change.ToState));
        LogChanged(logger, change.ClusterId, change.FromState, change.ToState, change.Model, change.Actor, change.Evidence);
        return true;
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster {ClusterId} {FromState} -> {ToState} (model {Model}, by {Actor}): {Evidence}")]
    private static partial void LogChanged(ILogger logger, long clusterId, string fromState, string toState, string? model, string actor, string evidence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The conversion loop's periodic step failed: {Error}")]
    private static partial void LogStepFailed(ILogger logger, string error);
}
