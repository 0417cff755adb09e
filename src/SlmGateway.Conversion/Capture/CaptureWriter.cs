using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlmGateway.Conversion.Clustering;
using SlmGateway.Conversion.Shadow;
using SlmGateway.Conversion.Store;

namespace SlmGateway.Conversion.Capture;

/// <summary>
/// Writes captured calls to the store in batches, one transaction each, off the request path, on a
/// thread of the lowest priority. A batch the store refuses is counted as failed and the writer
/// pauses; meanwhile the queue fills and drops, so a store that is down or slow never holds up a
/// request.
/// </summary>
internal sealed partial class CaptureWriter(
    CaptureQueue queue, CallProcessor processor, TraceStore store, ClusterIndex clusters, ShadowSampler shadow,
    IOptionsMonitor<LoopOptions> options, ILogger<CaptureWriter> logger) : BackgroundService
{
    private static readonly TimeSpan PauseAfterFailure = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DrainOnStop = TimeSpan.FromSeconds(5);
    private DateTimeOffset _refreshedAt = DateTimeOffset.MinValue;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        BackgroundThread.RunAsync("slmgw-capture", () => WriteUntilStoppedAsync(stoppingToken));

    private async Task WriteUntilStoppedAsync(CancellationToken stoppingToken)
    {
        var batch = new List<CapturedCall>();
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await WriteAvailableAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            using var drain = new CancellationTokenSource(DrainOnStop);
            await WriteAvailableAsync(batch, drain.Token);
        }
    }

    private async Task WriteAvailableAsync(List<CapturedCall> batch, CancellationToken cancellationToken)
    {
        var size = options.CurrentValue.Capture.BatchSize;
        while (!cancellationToken.IsCancellationRequested)
        {
            batch.Clear();
            while (batch.Count < size && queue.Reader.TryRead(out var call))
            {
                batch.Add(call);
            }

            if (batch.Count == 0)
            {
                return;
            }

            await WriteBatchAsync(batch, cancellationToken);
        }
    }

    private async Task WriteBatchAsync(List<CapturedCall> batch, CancellationToken cancellationToken)
    {
        try
        {
            await RefreshClustersAsync(cancellationToken);
            var processed = new List<ProcessedCall>(batch.Count);
            foreach (var call in batch)
            {
                processed.Add(await processor.ProcessAsync(call, cancellationToken));
            }

            var ids = new long[processed.Count];
            await store.InsertCapturesAsync(processed.Select(p => p.Record).ToList(), ids, cancellationToken);
            await store.UpdateCentroidsAsync(clusters.TakeMoved(), cancellationToken);
            queue.Written(batch.Count);
            for (var i = 0; i < processed.Count; i++)
            {
                shadow.Offer(ids[i], processed[i]);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            queue.Failed(batch.Count);
            LogWriteFailed(logger, batch.Count, ex.Message);
            _refreshedAt = DateTimeOffset.MinValue;
            await Task.Delay(PauseAfterFailure, cancellationToken);
        }
    }

    private async Task RefreshClustersAsync(CancellationToken cancellationToken)
    {
        if (DateTimeOffset.UtcNow - _refreshedAt < options.CurrentValue.Capture.RefreshInterval)
        {
            return;
        }

        await store.UpdateCentroidsAsync(clusters.TakeMoved(), cancellationToken);
        clusters.Load(await store.ClustersAsync(cancellationToken));
        _refreshedAt = DateTimeOffset.UtcNow;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The trace store refused {Count} captured calls; they are lost: {Error}")]
    private static partial void LogWriteFailed(ILogger logger, int count, string error);
}
