using System.Diagnostics.Metrics;

namespace SlmGateway.Core.Diagnostics;

/// <summary>
/// The gateway's instruments, named after the OpenTelemetry GenAI semantic conventions where one
/// exists (remote calls are <c>gen_ai.client.*</c>, local inference <c>gen_ai.server.*</c>) and
/// <c>slmgw.*</c> for the gateway's own. Plain <see cref="System.Diagnostics.Metrics"/>: the
/// OpenTelemetry SDK only listens.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "SlmGateway";
    private static readonly double[] SecondsBuckets = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 60];
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536];
    private readonly Meter _meter = new(MeterName);

    public GatewayMetrics()
    {
        OperationDuration = _meter.CreateHistogram("gen_ai.client.operation.duration", "s", "Duration of chat operations through the gateway",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        TokenUsage = _meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Tokens used per operation, by gen_ai.token.type",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        TimeToFirstToken = _meter.CreateHistogram("gen_ai.server.time_to_first_token", "s", "Local generation: time to the first token",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        TimePerOutputToken = _meter.CreateHistogram("gen_ai.server.time_per_output_token", "s", "Local generation: time per output token after the first",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5] });
        Decisions = _meter.CreateCounter<long>("slmgw.routing.decisions", "{request}", "Requests by final route and reason (escalated_*, spilled, degraded_fallback included)");
        UpstreamRetries = _meter.CreateCounter<long>("slmgw.upstream.retries", "{retry}", "Upstream attempts beyond the first, by upstream");
        CostSaved = _meter.CreateCounter<double>("slmgw.cost.saved", "USD", "Estimated remote cost of the requests served locally, from configured prices");
        CaptureRecords = _meter.CreateCounter<long>("slmgw.capture.records", "{record}", "Captured calls by outcome: written, dropped (queue full), failed (store error)");
        ShadowEvaluations = _meter.CreateCounter<long>("slmgw.shadow.evaluations", "{evaluation}", "Shadow runs of local candidates by model and outcome: agreed, disagreed, skipped");
        BackgroundFailures = _meter.CreateCounter<long>("slmgw.background.failures", "{failure}", "Failures of a background worker (capture, shadow, loop), each survived by a restart, by worker");
        ShadowSkips = _meter.CreateCounter<long>("slmgw.shadow.skipped", "{run}", "Shadow runs not made, by model and reason: busy, unsupported (the local model cannot take the request), failed");
        LimitsUnavailable = _meter.CreateCounter<long>("slmgw.limits.unavailable", "{request}", "Requests whose rate limits and budgets could not be checked (the shared limits store did not answer), by what was done: allowed or refused");
        SessionStoreFailures = _meter.CreateCounter<long>("slmgw.session.store.failures", "{failure}", "Shared session store reads or writes that failed; the request was routed as a new session");
        ClusterChanges = _meter.CreateCounter<long>("slmgw.loop.cluster.changes", "{change}", "Task clusters promoted to local or demoted, by new state");
        DistillationJobs = _meter.CreateCounter<long>("slmgw.distill.jobs", "{job}", "Distillation jobs ended, by outcome: completed, failed, cancelled");
    }

    public Histogram<double> OperationDuration { get; }

    public Histogram<long> TokenUsage { get; }

    public Counter<long> SessionStoreFailures { get; }

    public Counter<long> LimitsUnavailable { get; }

    public Histogram<double> TimeToFirstToken { get; }

    public Histogram<double> TimePerOutputToken { get; }

    public Counter<long> Decisions { get; }

    public Counter<long> UpstreamRetries { get; }

    public Counter<double> CostSaved { get; }

    public Counter<long> CaptureRecords { get; }

    public Counter<long> ShadowEvaluations { get; }

    public Counter<long> ClusterChanges { get; }

    public Counter<long> DistillationJobs { get; }

    public Counter<long> BackgroundFailures { get; }

    public Counter<long> ShadowSkips { get; }

    /// <summary>Gauges read on each collection: whatever the callbacks return at that moment.</summary>
    public void ObserveState(Func<IEnumerable<Measurement<long>>> localActive, Func<IEnumerable<Measurement<long>>> localQueued, Func<IEnumerable<Measurement<long>>> circuitOpen)
    {
        _meter.CreateObservableGauge("slmgw.local.active", localActive, "{generation}", "Local generations running, by model");
        _meter.CreateObservableGauge("slmgw.local.queue.depth", localQueued, "{request}", "Requests waiting for a local generation slot, by model");
        _meter.CreateObservableGauge("slmgw.upstream.circuit.open", circuitOpen, "{upstream}", "1 when the upstream's circuit is open or isolated, by upstream");
    }

    /// <summary>The running distillation job's training step and loss (no value while none runs).</summary>
    public void ObserveDistillation(Func<IEnumerable<Measurement<long>>> step, Func<IEnumerable<Measurement<double>>> loss)
    {
        _meter.CreateObservableGauge("slmgw.distill.step", step, "{step}", "Training steps done by the running distillation job");
        _meter.CreateObservableGauge("slmgw.distill.loss", loss, null, "Training loss of the running distillation job at its last reported step");
    }

    public void Dispose() => _meter.Dispose();
}
