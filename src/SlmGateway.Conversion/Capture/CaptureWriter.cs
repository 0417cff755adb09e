using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlmGateway.Conversion.Clustering;
using SlmGateway.Conversion.Shadow;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Diagnostics;

namespace SlmGateway.Conversion.Capture;

/// <summary>
/// Writes captured calls to the store in batches, one transaction each, off the request path, on a
/// thread of its own: at the normal policy while <c>MaxCallsPerSecond</c> bounds its work (read at
/// start), at the idle policy without that cap. Embeddings for task clusters, whose number no cap
/// bounds, run on a second thread at the idle policy. Writing comes first: a call is redacted and
/// stored as soon as it is taken, and its task cluster (an embedding, the expensive part) is worked
/// out afterwards, while no call waits to be written; calls that come while an embedding waits for
/// an idle core are written meanwhile, so a burst never costs calls for want of embedding time. A task this
/// writer has clustered before is stored with its cluster at once and not held for clustering: agents
/// resend the same steps, and each held call keeps its parsed request and answer in memory. A call that
/// cannot be read is stored without its bodies; a record the store refuses is lost alone, not with its
/// batch. A store that is down fails the batch and pauses the writer; meanwhile the queue fills and
/// drops, so a store that is down or slow never holds up a request. When the host stops, it keeps
/// writing until the server has finished the requests in flight (their calls are captured as they
/// complete), and only then drains the queue and stops.
/// </summary>
internal sealed partial class CaptureWriter(
    CaptureQueue queue, CallProcessor processor, TraceStore store, TraceStoreHealth health, ClusterIndex clusters, ShadowSampler shadow,
    IOptionsMonitor<LoopOptions> options, GatewayMetrics metrics, ILogger<CaptureWriter> logger) : BackgroundService, IHostedLifecycleService
{
    // Tasks written but not yet clustered; beyond this the oldest stay unclustered (counted). Each
    // holds its parsed request and answer until it is clustered: 8,192 of them held over 300 MB.
    // Repeats of a waiting task cost only their id, up to MaxClusterBacklogCalls.
    private const int MaxClusterBacklogTasks = 2048;
    private const int MaxClusterBacklogCalls = 65_536;
    private static readonly TimeSpan PauseAfterFailure = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ProbeWhileFailing = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DrainOnStop = TimeSpan.FromSeconds(5);
    private readonly ClusterBacklog _unclustered = new(MaxClusterBacklogTasks, MaxClusterBacklogCalls);
    private DateTimeOffset _refreshedAt = DateTimeOffset.MinValue;

    /// <summary>Hosted services stop before the server (the reverse of their order): the writer waits for <see cref="StoppedAsync"/>.</summary>
    public override Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Every hosted service has stopped, the server too: no call is still to come, so the queue is
    /// drained now. The wait is bounded: on a machine busy with other work an embedding begun at the
    /// idle policy can take long; calls are written before
    /// they are clustered, so what such a wait would save is clustering, not calls.
    /// </summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(DrainOnStop + DrainOnStop);
        await base.StopAsync(bounded.Token);
        if (queue.Reader.Count > 0)
        {
            LogUnwrittenOnStop(logger, queue.Reader.Count);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var clustering = new IdleWorker("slmgw-cluster", stoppingToken);
        var priority = options.CurrentValue.Capture.MaxCallsPerSecond > 0 ? BackgroundPriority.Normal : BackgroundPriority.Idle;
        return BackgroundThread.RunAsync(
            "slmgw-capture", priority, () => SupervisedLoop.RunAsync("capture", token => WriteUntilStoppedAsync(clustering, token), metrics, logger, stoppingToken), stoppingToken);
    }

    private async Task WriteUntilStoppedAsync(IdleWorker clustering, CancellationToken stoppingToken)
    {
        var batch = new List<CapturedCall>();
        try
        {
            while (true)
            {
                if (queue.Reader.Count > 0)
                {
                    await LetABatchGatherAsync(stoppingToken);
                    await WriteAvailableAsync(batch, stoppingToken);
                }
                else if (_unclustered.Calls > 0)
                {
                    await ClusterSomeAsync(clustering, batch, stoppingToken);
                }
                else if (health.Error is not null)
                {
                    await ProbeAsync(stoppingToken);
                }
                else if (!await queue.Reader.WaitToReadAsync(stoppingToken))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server has stopped, so no request needs the cores any more: the drain runs on the thread
            // pool at normal priority, where the idle-policy thread would get almost no time from a
            // machine that other replicas or processes keep busy, and calls would be left unwritten.
            using var drain = new CancellationTokenSource(DrainOnStop);
            await Task.Run(() => WriteAvailableAsync(batch, drain.Token), CancellationToken.None);
        }
    }

    /// <summary>While the store fails and no call comes to show otherwise, it is tried every few seconds, so its recovery shows.</summary>
    private async Task ProbeAsync(CancellationToken stoppingToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        wait.CancelAfter(ProbeWhileFailing);
        try
        {
            await queue.Reader.WaitToReadAsync(wait.Token);
            return;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Nothing came: try the store.
        }

        try
        {
            await store.ProbeAsync(stoppingToken);
            health.Succeeded();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            health.Failed(ex.Message);
        }
    }

    /// <summary>
    /// Calls come one at a time under steady load, and written as they came each cost a transaction, a
    /// statement and a wake-up of this thread on a core that serves requests: <c>BatchWait</c> lets them gather.
    /// </summary>
    private async Task LetABatchGatherAsync(CancellationToken stoppingToken)
    {
        var capture = options.CurrentValue.Capture;
        if (capture.BatchWait > TimeSpan.Zero && queue.Reader.Count < capture.BatchSize)
        {
            await Task.Delay(capture.BatchWait, stoppingToken);
        }
    }

    private async Task WriteAvailableAsync(List<CapturedCall> batch, CancellationToken cancellationToken)
    {
        var size = options.CurrentValue.Capture.BatchSize;
        while (!cancellationToken.IsCancellationRequested)
        {
            // A batch that a stop interrupted is still here, and is written first when the queue is drained.
            while (batch.Count < size && queue.Reader.TryRead(out var call))
            {
                batch.Add(call);
            }

            if (batch.Count == 0)
            {
                return;
            }

            await WriteBatchAsync(batch, cancellationToken);
            batch.Clear();
        }
    }

    private async Task WriteBatchAsync(List<CapturedCall> batch, CancellationToken cancellationToken)
    {
        var processed = batch.ConvertAll(Process);
        var ids = new long[processed.Count];
        try
        {
            await RefreshClustersAsync(cancellationToken);
            await InsertAsync(processed, ids, cancellationToken);
            health.Succeeded();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            health.Failed(ex.Message);
            queue.Failed(batch.Count);
            LogWriteFailed(logger, batch.Count, ex.Message);
            _refreshedAt = DateTimeOffset.MinValue;
            await Task.Delay(PauseAfterFailure, cancellationToken);
            return;
        }

        var written = 0;
        for (var i = 0; i < processed.Count; i++)
        {
            if (ids[i] <= 0)
            {
                continue;
            }

            written++;
            if (processed[i].Record.ClusterId is not null)
            {
                shadow.Offer(ids[i], processed[i]);
            }
            else if (processed[i].TaskKey is not null)
            {
                // Stored already: clustering and shadow evaluation need the parsed forms, not the JSON text.
                Remember(ids[i], processed[i] with { Record = processed[i].Record with { RequestJson = null, AnswerJson = null } });
            }
        }

        queue.Written(written);
        queue.Failed(processed.Count - written);
    }

    private ProcessedCall Process(CapturedCall call)
    {
        YieldToRequests();
        try
        {
            return processor.WithKnownCluster(processor.Process(call));
        }
        catch (Exception ex)
        {
            // Bodies a redactor or parser cannot take (duplicate keys, text no store can hold): the call is kept without them.
            LogUnreadable(logger, ex.Message);
            return CallProcessor.MetadataOnly(call);
        }
    }

    /// <summary>
    /// Inserts the batch in one transaction; when the store refuses it, record by record, so one bad
    /// record loses only itself. A store that refuses the first record alone is failing: that throws.
    /// Ids of records that were not written stay 0.
    /// </summary>
    private async Task InsertAsync(List<ProcessedCall> processed, long[] ids, CancellationToken cancellationToken)
    {
        try
        {
            await store.InsertCapturesAsync(processed.ConvertAll(p => p.Record), ids, cancellationToken);
            return;
        }
        catch (Exception ex) when (processed.Count > 1 && ex is not OperationCanceledException)
        {
            Array.Clear(ids);
        }

        var one = new long[1];
        for (var i = 0; i < processed.Count; i++)
        {
            try
            {
                await store.InsertCapturesAsync([processed[i].Record], one, cancellationToken);
                ids[i] = one[0];
            }
            catch (Exception ex) when (i > 0 && ex is not OperationCanceledException)
            {
                LogRecordRefused(logger, ex.Message);
            }
        }
    }

    private void Remember(long id, ProcessedCall call)
    {
        queue.Unclustered(_unclustered.Add(id, call));
        queue.ClusterBacklog(_unclustered.Calls);
    }

    /// <summary>Clusters a batch of waiting tasks, stores the clusters of their calls and offers each task to shadow evaluation.</summary>
    private async Task ClusterSomeAsync(IdleWorker clustering, List<CapturedCall> batch, CancellationToken cancellationToken)
    {
        var size = options.CurrentValue.Capture.BatchSize;
        var done = new List<(List<long> Ids, ProcessedCall Call)>(size);
        try
        {
            while (done.Count < size && queue.Reader.Count == 0 && !cancellationToken.IsCancellationRequested && _unclustered.TryTake(out var next, out var ids))
            {
                done.Add((ids, await processor.ClusterAsync(next, embed => EmbedWhileWritingAsync(clustering, embed, batch, cancellationToken), cancellationToken)));
            }

            await store.SetClustersAsync([.. done.SelectMany(d => d.Ids.Select(id => (id, d.Call.Record.ClusterId!.Value)))], cancellationToken);
            await store.UpdateCentroidsAsync(clusters.TakeMoved(), cancellationToken);

            // Only now: a backlog of 0 says that every written call's cluster is in the store.
            queue.ClusterBacklog(_unclustered.Calls);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            queue.ClusterBacklog(_unclustered.Calls);
            health.Failed(ex.Message);
            queue.Unclustered(done.Sum(d => d.Ids.Count));
            LogClusteringFailed(logger, done.Sum(d => d.Ids.Count), ex.Message);
            await Task.Delay(PauseAfterFailure, cancellationToken);
            return;
        }

        foreach (var (ids, call) in done)
        {
            shadow.Offer(ids[0], call);
        }
    }

    /// <summary>
    /// Embeds on the idle-policy thread and, while that waits for a core (at saturation it gets none),
    /// writes the calls that come: otherwise the queue would fill and drop behind one embedding.
    /// </summary>
    private async Task<float[]> EmbedWhileWritingAsync(IdleWorker clustering, Func<float[]> embed, List<CapturedCall> batch, CancellationToken cancellationToken)
    {
        var embedding = clustering.RunAsync(embed, cancellationToken);
        while (!embedding.IsCompleted)
        {
            var callsCame = queue.Reader.WaitToReadAsync(cancellationToken).AsTask();
            if (await Task.WhenAny(embedding, callsCame) == callsCame && !await callsCame)
            {
                break;
            }

            await WriteAvailableAsync(batch, cancellationToken);
        }

        return await embedding;
    }

    /// <summary>
    /// Hands the core to any runnable request thread between calls. At the idle policy the scheduler
    /// preempts this thread when a request thread wakes, but not for one that gave the core away
    /// with a yield while spinning (the thread pool's and SpinWait's do): that one waited for the
    /// next scheduler tick, up to 4 ms (one-at-a-time p99 after saturation, capture on).
    /// </summary>
    private static void YieldToRequests() => Thread.Yield();

    private async Task RefreshClustersAsync(CancellationToken cancellationToken)
    {
        if (DateTimeOffset.UtcNow - _refreshedAt < options.CurrentValue.Capture.RefreshInterval)
        {
            return;
        }

        await processor.ReloadClustersAsync(cancellationToken);
        _refreshedAt = DateTimeOffset.UtcNow;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped with {Count} captured calls not written: the writer did not finish in time")]
    private static partial void LogUnwrittenOnStop(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The trace store refused {Count} captured calls; they are lost: {Error}")]
    private static partial void LogWriteFailed(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The trace store refused one captured call; it is lost: {Error}")]
    private static partial void LogRecordRefused(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A captured call's bodies could not be read; it is stored without them: {Error}")]
    private static partial void LogUnreadable(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} captured calls could not be clustered: {Error}")]
    private static partial void LogClusteringFailed(ILogger logger, int count, string error);
}
