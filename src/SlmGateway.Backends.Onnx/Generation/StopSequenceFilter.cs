using System.Text;

namespace SlmGateway.Backends.Onnx.Generation;

/// <summary>
/// Cuts generated text at the first stop sequence, also when it spans tokens: text that could be
/// the start of a stop sequence is held back until it is known not to be, so it never leaks.
/// </summary>
internal sealed class StopSequenceFilter(IReadOnlyList<string> stops)
{
    private readonly StringBuilder _pending = new();

    public (string Visible, bool Stopped) Push(string text)
    {
        if (stops.Count == 0)
        {
            return (text, false);
        }

        _pending.Append(text);
        var buffered = _pending.ToString();
        var cut = -1;
        foreach (var stop in stops)
        {
            var at = buffered.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut))
            {
                cut = at;
            }
        }

        if (cut >= 0)
        {
            _pending.Clear();
            return (buffered[..cut], true);
        }

        var hold = HeldSuffixLength(buffered);
        _pending.Clear().Append(buffered, buffered.Length - hold, hold);
        return (buffered[..^hold], false);
    }

    /// <summary>The text still held back, released when generation ends without a stop.</summary>
    public string Flush()
    {
        var rest = _pending.ToString();
        _pending.Clear();
        return rest;
    }

    private int HeldSuffixLength(string buffered)
    {
        var longest = 0;
        foreach (var stop in stops)
        {
            for (var length = Math.Min(stop.Length - 1, buffered.Length); length > longest; length--)
            {
                if (buffered.AsSpan(buffered.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
