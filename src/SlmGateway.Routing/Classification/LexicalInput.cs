using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace SlmGateway.Routing.Classification;

/// <summary>
/// The classifier's cheap first stage reads the ask's words, not their meaning: each word and each
/// pair of neighbouring words of the ask hashed into one of <see cref="Buckets"/> slots (present or
/// not, scaled to unit length), beside the shape signals and the share of the ask's words that the
/// best-matching tool's name and description contain. Sparse: only the slots that are set.
/// </summary>
internal readonly record struct LexicalInput(int[] Indices, float[] Values)
{
    public const int Buckets = 1 << 14;
    // The start and end of a long ask carry the task; its middle is often pasted material.
    private const int HeadChars = 4000;
    private const int TailChars = 1000;
    private const int MinMatchedWordLength = 4;

    public static readonly string[] SignalNames = [.. ShapeSignals.Names, "tool_word_overlap"];

    public static int Dimensions => Buckets + SignalNames.Length;

    public static LexicalInput Of(RequestFeatures features)
    {
        var ask = features.Ask;
        var text = ask.Length <= HeadChars + TailChars ? ask : string.Concat(ask.AsSpan(0, HeadChars), " ", ask.AsSpan(ask.Length - TailChars));
        var words = Words(text);
        var slots = new SortedSet<int>();
        ulong previous = 0;
        foreach (var word in words)
        {
            var hash = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(word.AsSpan()));
            slots.Add((int)(hash % Buckets));
            if (previous != 0)
            {
                slots.Add((int)(((previous * 0x9E3779B97F4A7C15UL) ^ hash) % Buckets));
            }

            previous = hash;
        }

        var signals = (float[])[.. ShapeSignals.Of(features), features.ToolsOffered ? ToolWordOverlap(words, features) : 0];
        var value = slots.Count == 0 ? 0 : 1 / MathF.Sqrt(slots.Count);
        var indices = new int[slots.Count + signals.Length];
        var values = new float[indices.Length];
        var at = 0;
        foreach (var slot in slots)
        {
            (indices[at], values[at]) = (slot, value);
            at++;
        }

        for (var i = 0; i < signals.Length; i++, at++)
        {
            (indices[at], values[at]) = (Buckets + i, signals[i]);
        }

        return new LexicalInput(indices, values);
    }

    /// <summary>The share of the ask's longer words (distinct) found in the best-matching tool's name and description.</summary>
    private static float ToolWordOverlap(List<string> askWords, RequestFeatures features)
    {
        var asked = askWords.Where(word => word.Length >= MinMatchedWordLength).ToHashSet(StringComparer.Ordinal);
        if (asked.Count == 0)
        {
            return 0;
        }

        var best = 0;
        foreach (var tool in features.Tools)
        {
            var described = Words(RequestFeatures.ToolText(tool)).ToHashSet(StringComparer.Ordinal);
            best = Math.Max(best, asked.Count(described.Contains));
        }

        return (float)best / asked.Count;
    }

    /// <summary>Runs of letters and digits, lower-cased.</summary>
    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                words.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }

        return words;
    }
}
