using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Conversion.Capture;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Diagnostics;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Ports;
using SlmGateway.Core.Routing;

namespace SlmGateway.Conversion.Shadow;

/// <summary>
/// Picks the remotely served calls local candidates will also answer: a configured share of the
/// successful ones, each distinct task once, into a bounded queue (full: skipped and counted). The
/// candidates are the configured shadow models (or every local model listing the task) and the
/// specialists distilled for the call's cluster.
/// </summary>
internal sealed class ShadowSampler(
    IOptionsMonitor<LoopOptions> options, IOptionsMonitor<LocalOptions> local, GatewayMetrics metrics, ILocalModelRegistration? registration = null)
{
    private const int RememberedTasks = 10_000;
    private readonly Channel<ShadowItem> _channel = Channel.CreateBounded<ShadowItem>(
        new BoundedChannelOptions(Math.Max(1, options.CurrentValue.Shadow.QueueLength)) { SingleReader = true, SingleWriter = true });
    private readonly HashSet<string> _seen = [];
    private long _queued;
    private long _dropped;
    private long _evaluated;
    private long _skipped;

    public ChannelReader<ShadowItem> Reader => _channel.Reader;

    /// <summary>Shadow runs (a call times a candidate model) queued, dropped because the queue was full, evaluated, and skipped (model busy).</summary>
    public ShadowCounts Counts => new(Interlocked.Read(ref _queued), Interlocked.Read(ref _dropped), Interlocked.Read(ref _evaluated), Interlocked.Read(ref _skipped));

    public void Evaluated() => Interlocked.Increment(ref _evaluated);

    public void Skipped() => Interlocked.Increment(ref _skipped);

    public void Offer(long captureId, ProcessedCall call)
    {
        var record = call.Record;
        if (record is not { Route: BackendKeys.Remote, Status: 200, ClusterId: { } clusterId, RequestHash: { } hash } || call.Chat is null || call.Answer is null)
        {
            return;
        }

        var shadow = options.CurrentValue.Shadow;
        if (Random.Shared.NextDouble() >= shadow.SampleRate || _seen.Contains(hash))
        {
            return;
        }

        var task = RequestShape.Of(call.Chat).Task;
        var models = shadow.Models.Count > 0 ? shadow.Models : local.CurrentValue.Models.Where(m => m.Tasks.Contains(task)).Select(m => m.Name).ToList();
        if (registration?.Added.Where(m => m.Clusters.Contains(clusterId)).Select(m => m.Name).ToList() is { Count: > 0 } specialists)
        {
            models = [.. models.Except(specialists), .. specialists];
        }

        if (models.Count == 0)
        {
            return;
        }

        if (_seen.Count >= RememberedTasks)
        {
            _seen.Clear();
        }

        _seen.Add(hash);
        if (_channel.Writer.TryWrite(new ShadowItem(captureId, clusterId, call.Chat, call.Answer, models)))
        {
            Interlocked.Add(ref _queued, models.Count);
        }
        else
        {
            Interlocked.Add(ref _dropped, models.Count);
            metrics.ShadowEvaluations.Add(models.Count, new KeyValuePair<string, object?>("outcome", "skipped"));
        }
    }
}

/// <summary>Shadow runs so far; queued minus evaluated and skipped are still waiting or running.</summary>
public sealed record ShadowCounts(long Queued, long Dropped, long Evaluated, long Skipped);

/// <summary>A remotely answered call for local candidates to answer too (unredacted, in memory only).</summary>
internal sealed record ShadowItem(long CaptureId, long ClusterId, ChatCompletionRequest Request, JsonObject RemoteAnswer, IReadOnlyList<string> Models);
