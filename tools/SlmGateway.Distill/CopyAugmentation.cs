using System.Text.RegularExpressions;
using SlmGateway.Backends.Onnx.Serving;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Distill;

/// <summary>
/// Marks where the values the teacher copied from the ask occur in a tokenized example, in the ask
/// and in the answer, so that the training engine can draw the example half of the time with those
/// values made up afresh (letters by letters of the same case, digits by digits, a zero staying a
/// zero so that numbers stay numbers; one substitution for the whole example, so a value reads the
/// same wherever it occurs). From a few hundred examples a small model otherwise learns the values it
/// saw (say, 120 cities) instead of copying them, and fails on those it did not see; a value made up
/// at every draw can only be copied. Copied values are those of grounded fields that take many
/// different values (names, ids, places, addresses); a grounded field with few values (a unit, a
/// status) is a category and stays as it is.
/// </summary>
internal static class CopyAugmentation
{
    private const int MinDistinctValues = 20;

    /// <summary>The letters and digits the engine may substitute, as token ids of the specialist's byte-level vocabulary (a byte's id is the byte).</summary>
    public static readonly (int[] Lower, int[] Upper, int[] Digits) Alphabet = (
        Enumerable.Range('a', 26).ToArray(), Enumerable.Range('A', 26).ToArray(), Enumerable.Range('1', 9).ToArray());

    /// <summary>The grounded fields whose values vary enough to be copied rather than chosen.</summary>
    public static List<string> CopiedFields(IEnumerable<(ChatCompletionRequest Request, ChatMessage Answer)> examples, IReadOnlyCollection<string> grounded)
    {
        var values = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (_, answer) in examples)
        {
            foreach (var (field, value) in AnswerGrounding.Fields(answer.ToolCalls, MessageContent.TextOf(answer.Content).Text))
            {
                if (grounded.Contains(field))
                {
                    (values.TryGetValue(field, out var seen) ? seen : values[field] = new HashSet<string>(StringComparer.OrdinalIgnoreCase)).Add(value);
                }
            }
        }

        return values.Where(field => field.Value.Count >= MinDistinctValues).Select(field => field.Key).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The token spans (start, length) of every occurrence, in any case, of the answer's copied values in the example.</summary>
    public static List<(int Start, int Length)> Spans(int[] ids, ChatMessage answer, IReadOnlyCollection<string> copied)
    {
        var spans = new List<(int, int)>();
        if (copied.Count == 0)
        {
            return spans;
        }

        var text = TextOf(ids);
        var values = AnswerGrounding.Fields(answer.ToolCalls, MessageContent.TextOf(answer.Content).Text)
            .Where(field => copied.Contains(field.Field) && field.Value.Length >= 2 && field.Value.All(char.IsAscii))
            .Select(field => field.Value)
            .Distinct(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values)
        {
            var occurrence = new Regex($"(?<![A-Za-z0-9]){Regex.Escape(value)}(?![A-Za-z0-9])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
            spans.AddRange(occurrence.Matches(text).Select(match => (match.Index, match.Length)));
        }

        return spans;
    }

    /// <summary>
    /// The ids as text, one character a token, so that a match's index and length are token positions:
    /// byte-level, each ASCII byte is its own character; other bytes and the special tokens read as NUL.
    /// </summary>
    public static string TextOf(int[] ids) => string.Create(ids.Length, ids, static (span, tokens) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = tokens[i] < 128 ? (char)tokens[i] : '\0';
        }
    });
}
