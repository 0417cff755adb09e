using System.Buffers;
using SlmGateway.Core.IO;

namespace SlmGateway.Backends.Remote.Usage;

/// <summary>
/// Passes a streamed answer's server-sent events through whole, one event at a time, so that a client
/// never sees half an event (an upstream that breaks off mid-event is followed by a clean error
/// event, not by one glued to a partial line), and drops the usage-only chunk (<c>"choices":[]</c>
/// with <c>"usage"</c>) when the gateway asked for it on the client's behalf (<paramref name="dropUsageChunk"/>).
/// Bytes of an incomplete event wait for the rest of it; nothing else is delayed. The response is
/// committed at the first byte from the upstream even while that event is incomplete, so a stream
/// that stalls in its first event is never retried into the same response. An event longer than
/// <see cref="MaxHeldEventBytes"/> is passed on as it comes (it cannot be the small usage chunk), and
/// each byte is searched for the end of an event once.
/// </summary>
internal sealed class EventAlignedStream(Stream inner, bool dropUsageChunk) : WriteOnlyStream(inner)
{
    private const int MaxHeldEventBytes = 64 * 1024;
    private readonly ArrayBufferWriter<byte> _pending = new();
    private int _searched;
    private bool _started;
    private bool _passingLongEvent;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_started)
        {
            _started = true;
            await Inner.FlushAsync(cancellationToken);
        }

        if (_passingLongEvent)
        {
            await PassLongEventAsync(buffer, cancellationToken);
            return;
        }

        _pending.Write(buffer.Span);
        await SendCompleteEventsAsync(cancellationToken);
        if (_pending.WrittenCount > MaxHeldEventBytes)
        {
            await Inner.WriteAsync(_pending.WrittenMemory, cancellationToken);
            ResetPending(ReadOnlySpan<byte>.Empty);
            _passingLongEvent = true;
        }
    }

    /// <summary>Sends what is left of an event that never ended, as it came.</summary>
    public async ValueTask CompleteAsync()
    {
        if (_pending.WrittenCount > 0)
        {
            await Inner.WriteAsync(_pending.WrittenMemory);
            ResetPending(ReadOnlySpan<byte>.Empty);
        }
    }

    /// <summary>Forgets an incomplete event (the upstream broke off in it), so the client never sees half of one.</summary>
    public void DiscardIncompleteEvent() => ResetPending(ReadOnlySpan<byte>.Empty);

    private async ValueTask SendCompleteEventsAsync(CancellationToken cancellationToken)
    {
        var data = _pending.WrittenMemory;
        var start = 0;
        var from = Math.Max(0, _searched - 3);
        while (EventEnd(data.Span, start, from) is { } end)
        {
            var evt = data[start..end];
            if (!dropUsageChunk || !IsUsageOnly(evt.Span))
            {
                await Inner.WriteAsync(evt, cancellationToken);
            }

            start = end;
            from = end;
        }

        if (start > 0)
        {
            ResetPending(data.Span[start..]);
        }

        _searched = _pending.WrittenCount;
    }

    private async ValueTask PassLongEventAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        var span = buffer.Span;
        var end = IndexOfEventEnd(span);
        if (end < 0)
        {
            await Inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        await Inner.WriteAsync(buffer[..end], cancellationToken);
        _passingLongEvent = false;
        await WriteAsync(buffer[end..], cancellationToken);
    }

    private void ResetPending(ReadOnlySpan<byte> rest)
    {
        var kept = rest.ToArray();
        _pending.Clear();
        _pending.Write(kept);
        _searched = 0;
    }

    /// <summary>The end (after its blank line) of the first complete event that starts at <paramref name="start"/>, searching from <paramref name="from"/>.</summary>
    private static int? EventEnd(ReadOnlySpan<byte> data, int start, int from)
    {
        var at = IndexOfEventEnd(data[from..]);
        return at < 0 ? null : from + at is var end && end > start ? end : null;
    }

    /// <summary>The index just after the first blank line (<c>\n\n</c> or <c>\r\n\r\n</c>), or -1.</summary>
    private static int IndexOfEventEnd(ReadOnlySpan<byte> data)
    {
        var lf = data.IndexOf("\n\n"u8);
        var crlf = data.IndexOf("\r\n\r\n"u8);
        return (lf, crlf) switch
        {
            (< 0, < 0) => -1,
            (>= 0, < 0) => lf + 2,
            (< 0, >= 0) => crlf + 4,
            _ => Math.Min(lf + 2, crlf + 4),
        };
    }

    private static bool IsUsageOnly(ReadOnlySpan<byte> evt) =>
        evt.StartsWith("data: "u8) && evt.IndexOf("\"choices\":[]"u8) >= 0 && evt.IndexOf("\"usage\""u8) >= 0;
}
