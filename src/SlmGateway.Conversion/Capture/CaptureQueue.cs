using System.Threading.Channels;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Diagnostics;

namespace SlmGateway.Conversion.Capture;

/// <summary>
/// The bounded hand-over between the request path and the writer: adding never waits, a call that
/// finds it full is dropped and counted.
/// </summary>
public sealed class CaptureQueue(IOptions<LoopOptions> options, GatewayMetrics metrics)
{
    private readonly Channel<CapturedCall> _channel = Channel.CreateBounded<CapturedCall>(
        new BoundedChannelOptions(options.Value.Capture.QueueLength) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private long _accepted;
    private long _dropped;
    private long _written;
    private long _failed;
    private long _sampledOut;
    private long _unclustered;
    private int _clusterBacklog;

    internal ChannelReader<CapturedCall> Reader => _channel.Reader;

    public CaptureCounts Counts => new(
        Interlocked.Read(ref _accepted), Interlocked.Read(ref _dropped), Interlocked.Read(ref _written), Interlocked.Read(ref _failed), _channel.Reader.Count,
        Interlocked.Read(ref _sampledOut), Interlocked.Read(ref _unclustered), Volatile.Read(ref _clusterBacklog));

    /// <summary>A call that capture would have taken and the sample rate left out.</summary>
    internal void SampledOut() => Interlocked.Increment(ref _sampledOut);

    internal void Add(CapturedCall call)
    {
        if (_channel.Writer.TryWrite(call))
        {
            Interlocked.Increment(ref _accepted);
            return;
        }

        Interlocked.Increment(ref _dropped);
        metrics.CaptureRecords.Add(1, new KeyValuePair<string, object?>("outcome", "dropped"));
    }

    internal void Written(int count)
    {
        Interlocked.Add(ref _written, count);
        metrics.CaptureRecords.Add(count, new KeyValuePair<string, object?>("outcome", "written"));
    }

    /// <summary>Written calls whose task cluster is still to be worked out.</summary>
    internal void ClusterBacklog(int count) => Volatile.Write(ref _clusterBacklog, count);

    /// <summary>Written calls left without a task cluster (the clustering backlog was full, or the store failed meanwhile).</summary>
    internal void Unclustered(int count)
    {
        if (count == 0)
        {
            return;
        }

        Interlocked.Add(ref _unclustered, count);
        metrics.CaptureRecords.Add(count, new KeyValuePair<string, object?>("outcome", "unclustered"));
    }

    internal void Failed(int count)
    {
        if (count == 0)
        {
            return;
        }

        Interlocked.Add(ref _failed, count);
        metrics.CaptureRecords.Add(count, new KeyValuePair<string, object?>("outcome", "failed"));
    }

}

/// <summary>
/// Capture so far: calls accepted into the queue, dropped because it was full, written to the store,
/// failed (store error; lost), waiting in the queue now (accepted minus written and failed is still
/// on its way), left out by the sample rate, written without a task cluster, and written with their
/// cluster still to be worked out.
/// </summary>
public sealed record CaptureCounts(long Accepted, long Dropped, long Written, long Failed, int Waiting, long SampledOut, long Unclustered, int Clustering);
