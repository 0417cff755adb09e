using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SlmGateway.Backends.Remote.Usage;

/// <summary>
/// Passes the response body through and keeps its last bytes, where a provider puts the token usage
/// (the end of a JSON answer; the last chunk before <c>[DONE]</c> of a stream that asked for it), so
/// usage is read without parsing or holding the body.
/// </summary>
internal sealed partial class UsageTailStream(Stream inner) : Stream
{
    private const int TailBytes = 2048;
    private readonly byte[] _tail = new byte[TailBytes];
    private int _length;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Prompt and completion tokens of the last usage object seen (chat: prompt/completion; responses: input/output).</summary>
    public (int? Input, int? Output) ReadUsage()
    {
        var text = Encoding.UTF8.GetString(_tail, 0, _length);
        return (Last(InputTokens(), text), Last(OutputTokens(), text));
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Remember(buffer);
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Remember(buffer.Span);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

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

    private static int? Last(Regex pattern, string text)
    {
        var matches = pattern.Matches(text);
        return matches.Count == 0 ? null : int.Parse(matches[^1].Groups[1].ValueSpan, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("\"(?:prompt_tokens|input_tokens)\"\\s*:\\s*(\\d+)")]
    private static partial Regex InputTokens();

    [GeneratedRegex("\"(?:completion_tokens|output_tokens)\"\\s*:\\s*(\\d+)")]
    private static partial Regex OutputTokens();
}
