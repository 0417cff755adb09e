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

    internal ChannelReader<CapturedCall> Reader => _channel.Reader;

    public CaptureCounts Counts => new(
        Interlocked.Read(ref _accepted), Interlocked.Read(ref _dropped), Interlocked.Read(ref _written), Interlocked.Read(ref _failed), _channel.Reader.Count,
        Interlocked.Read(ref _sampledOut));

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

    internal void Failed(int count)
    {
        Interlocked.Add(ref _failed, count);
        metrics.CaptureRecords.Add(count, new KeyValuePair<string, object?>("outcome", "failed"));
    }

}

/// <summary>
/// Capture so far: calls accepted into the queue, dropped because it was full, written to the store,
/// failed (store error; lost), waiting in the queue now (accepted minus written and failed is still
/// on its way), and left out by the sample rate.
/// </summary>
public sealed record CaptureCounts(long Accepted, long Dropped, long Written, long Failed, int Waiting, long SampledOut);
