using System.Buffers;
using System.Buffers.Text;
using SlmGateway.Core.IO;

namespace SlmGateway.Backends.Remote.Usage;

/// <summary>
/// Passes the response body through and keeps its last bytes, where a provider puts the token usage
/// (the end of a JSON answer; the last chunk before <c>[DONE]</c> of a stream that asked for it), so
/// usage is read without parsing or holding the body. The tail is a pooled buffer: dispose of the
/// stream once its usage is read.
/// </summary>
internal sealed class UsageTailStream(Stream inner) : WriteOnlyStream(inner)
{
    private const int TailBytes = 2048;
    private byte[] _tail = ArrayPool<byte>.Shared.Rent(TailBytes);
    private int _length;

    /// <summary>Prompt and completion tokens of the last usage object seen (chat: prompt/completion; responses: input/output).</summary>
    public (int? Input, int? Output) ReadUsage()
    {
        var tail = _tail.AsSpan(0, _length);
        return (Last(tail, "\"prompt_tokens\""u8) ?? Last(tail, "\"input_tokens\""u8), Last(tail, "\"completion_tokens\""u8) ?? Last(tail, "\"output_tokens\""u8));
    }

    /// <summary>True when the last bytes written end in the middle of a server-sent event (no blank line after them).</summary>
    public bool EndsMidEvent
    {
        get
        {
            var tail = _tail.AsSpan(0, _length);
            return _length > 0 && !tail.EndsWith("\n\n"u8) && !tail.EndsWith("\r\n\r\n"u8);
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Remember(buffer.Span);
        return Inner.WriteAsync(buffer, cancellationToken);
    }

    private void Remember(ReadOnlySpan<byte> written)
    {
        if (written.Length >= TailBytes)
        {
            written[^TailBytes..].CopyTo(_tail);
            _length = TailBytes;
            return;
        }

        var keep = Math.Min(_length, TailBytes - written.Length);
        _tail.AsSpan(_length - keep, keep).CopyTo(_tail);
        written.CopyTo(_tail.AsSpan(keep));
        _length = keep + written.Length;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _tail.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_tail);
            _tail = [];
            _length = 0;
        }

        base.Dispose(disposing);
    }

    /// <summary>The number after the last occurrence of <paramref name="key"/> and its colon, read in place.</summary>
    private static int? Last(ReadOnlySpan<byte> tail, ReadOnlySpan<byte> key)
    {
        var at = tail.LastIndexOf(key);
        if (at < 0)
        {
            return null;
        }

        var rest = tail[(at + key.Length)..].TrimStart(" \t\r\n"u8);
        if (rest.IsEmpty || rest[0] != (byte)':')
        {
            return null;
        }

        return Utf8Parser.TryParse(rest[1..].TrimStart(" \t\r\n"u8), out int value, out _) ? value : null;
    }
}
