using System.Buffers;

namespace SlmGateway.Backends.Remote.Usage;

/// <summary>
/// Passes server-sent events through whole, one event at a time, except the usage-only chunk
/// (<c>"choices":[]</c> with <c>"usage"</c>) that the gateway asked for on the client's behalf.
/// Bytes of an incomplete event wait for the rest of it; nothing else is delayed.
/// </summary>
internal sealed class UsageChunkFilterStream(Stream inner) : Stream
{
    private ArrayBufferWriter<byte> _pending = new();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _pending.Write(buffer.Span);
        var data = _pending.WrittenMemory;
        var start = 0;
        while (EventEnd(data.Span[start..]) is { } end)
        {
            var evt = data[start..(start + end)];
            if (!IsUsageOnly(evt.Span))
            {
                await inner.WriteAsync(evt, cancellationToken);
            }

            start += end;
        }

        Keep(data.Span[start..]);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Sends what is left of an event that never ended, as it came.</summary>
    public async ValueTask CompleteAsync()
    {
        if (_pending.WrittenCount > 0)
        {
            await inner.WriteAsync(_pending.WrittenMemory);
            _pending = new ArrayBufferWriter<byte>();
        }
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>The length of the first complete event (its blank line included), or null.</summary>
    private static int? EventEnd(ReadOnlySpan<byte> data)
    {
        var lf = data.IndexOf("\n\n"u8);
        var crlf = data.IndexOf("\r\n\r\n"u8);
        return (lf, crlf) switch
        {
            (< 0, < 0) => null,
            (>= 0, < 0) => lf + 2,
            (< 0, >= 0) => crlf + 4,
            _ => Math.Min(lf + 2, crlf + 4),
        };
    }

    private static bool IsUsageOnly(ReadOnlySpan<byte> evt) =>
        evt.StartsWith("data: "u8) && evt.IndexOf("\"choices\":[]"u8) >= 0 && evt.IndexOf("\"usage\""u8) >= 0;

    private void Keep(ReadOnlySpan<byte> rest)
    {
        var kept = new ArrayBufferWriter<byte>(Math.Max(rest.Length, 256));
        kept.Write(rest);
        _pending = kept;
    }
}
