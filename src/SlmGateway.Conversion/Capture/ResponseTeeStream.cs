using System.Buffers;
using SlmGateway.Core.IO;

namespace SlmGateway.Conversion.Capture;

/// <summary>Passes the response through unchanged and keeps a copy of its first bytes, up to a limit.</summary>
internal sealed class ResponseTeeStream(Stream inner, int limit) : WriteOnlyStream(inner)
{
    private readonly ArrayBufferWriter<byte> _copy = new();

    /// <summary>The whole body, or null when it ran over the limit.</summary>
    public byte[]? Copy => Overflowed ? null : _copy.WrittenSpan.ToArray();

    private bool Overflowed { get; set; }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Keep(buffer.Span);
        return Inner.WriteAsync(buffer, cancellationToken);
    }

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
