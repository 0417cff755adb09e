namespace SlmGateway.Conversion.Redaction;

/// <summary>
/// Redactions of texts seen before, for one thread: agents send the same tool definitions and system
/// prompt with every step, and each step repeats the conversation so far, so most of a captured
/// request's strings were redacted before. Looked up by the characters, without making a string.
/// Bounded by the characters it holds (texts and their redactions) and by age: it starts over when
/// full, and when its oldest text is older than <paramref name="maxAge"/>, so that no text before
/// redaction stays in memory longer than that.
/// </summary>
internal sealed class RememberedRedactions(Func<string, string> redact, int maxChars, TimeSpan maxAge, TimeProvider? time = null)
{
    // Longer texts are rare and unlikely to recur whole; they would crowd out the rest.
    private const int MaxTextChars = 16_384;
    private readonly Dictionary<string, string> _redacted = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private int _chars;
    private long _oldest;

    /// <summary>Remembers nothing: every text is redacted afresh.</summary>
    public static RememberedRedactions None(Func<string, string> redact) => new(redact, 0, TimeSpan.Zero);

    public string Redact(ReadOnlySpan<char> text)
    {
        if (_redacted.Count > 0 && _time.GetElapsedTime(_oldest) > maxAge)
        {
            StartOver();
        }

        var lookup = _redacted.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(text, out var redacted))
        {
            return redacted;
        }

        var original = text.ToString();
        redacted = redact(original);

        // A redaction that changed nothing is the same string: held once.
        var chars = original.Length + (ReferenceEquals(redacted, original) ? 0 : redacted.Length);
        if (original.Length > MaxTextChars || chars > maxChars)
        {
            return redacted;
        }

        if (_chars + chars > maxChars)
        {
            StartOver();
        }

        if (_redacted.Count == 0)
        {
            _oldest = _time.GetTimestamp();
        }

        _redacted[original] = redacted;
        _chars += chars;
        return redacted;
    }

    private void StartOver()
    {
        _redacted.Clear();
        _chars = 0;
    }
}
