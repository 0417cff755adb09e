using System.Buffers;
using SlmGateway.Core.IO;

namespace SlmGateway.Backends.Remote.Forwarding;

/// <summary>
/// Passes an upstream's answer through with its secrets masked (<see cref="SecretMask"/>). Bytes at
/// the end of a write that could begin a secret wait for the next write (a server-sent event ends in
/// a blank line, so in practice a stream is never held); <see cref="CompleteAsync"/> sends what waits.
/// </summary>
internal sealed class SecretMaskStream(Stream inner, SecretMask mask) : WriteOnlyStream(inner)
{
    private byte[] _held = [];

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _held.Length == 0 && !mask.Touches(buffer.Span) ? Inner.WriteAsync(buffer, cancellationToken) : WriteMaskedAsync(buffer, cancellationToken);

    private async ValueTask WriteMaskedAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        var length = _held.Length + buffer.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            _held.CopyTo(rented, 0);
            buffer.Span.CopyTo(rented.AsSpan(_held.Length));
            var hold = mask.Mask(rented.AsSpan(0, length));
            _held = rented.AsSpan(length - hold, hold).ToArray();
            if (length - hold > 0)
            {
                await Inner.WriteAsync(rented.AsMemory(0, length - hold), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Sends the bytes held back at the end, which turned out not to be a secret.</summary>
    public async ValueTask CompleteAsync()
    {
        if (_held.Length > 0)
        {
            var held = _held;
            _held = [];
            await Inner.WriteAsync(held);
        }
    }
}
