using System.Buffers;

namespace SlmGateway.Conversion.Capture;

/// <summary>Passes the response through unchanged and keeps a copy of its first bytes, up to a limit.</summary>
internal sealed class ResponseTeeStream(Stream inner, int limit) : Stream
{
    private readonly ArrayBufferWriter<byte> _copy = new();

    /// <summary>The whole body, or null when it ran over the limit.</summary>
    public byte[]? Copy => Overflowed ? null : _copy.WrittenSpan.ToArray();

    private bool Overflowed { get; set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count)
    {
        Keep(buffer.AsSpan(offset, count));
        inner.Write(buffer, offset, count);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Keep(buffer.Span);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void Keep(ReadOnlySpan<byte> bytes)
    {
        if (Overflowed)
        {
            return;
        }

        if (_copy.WrittenCount + bytes.Length > limit)
        {
            Overflowed = true;
            _copy.Clear();
            return;
        }

        _copy.Write(bytes);
    }
}
