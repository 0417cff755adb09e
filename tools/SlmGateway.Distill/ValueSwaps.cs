using System.Text.RegularExpressions;
using SlmGateway.Backends.Onnx.Serving;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Distill;

/// <summary>
/// Marks, in a tokenized example, where the value of a field with few values (a unit code, a status:
/// <see cref="FieldValueEvidence"/>) stands in the answer and where the ask's word for it stands, so
/// that the training engine can draw the example half of the time with another value of the field
/// and that value's word put in both places. From a few hundred examples a small model otherwise
/// learns which pairs of values went together (12 units make 132 pairs, most seen two or three times)
/// instead of the word each value goes with. In the distill-replay benchmark the unit-conversion
/// specialist missed 5 of 46 held-back asks, 4 of them by a unit code (run 11); with the swaps, 0 of 47
/// (run 12). Only plain ASCII values and words
/// are swapped, and only where the ask holds exactly one of the value's words and the answer the value once.
/// </summary>
internal static class ValueSwaps
{
    /// <summary>The fields whose values can be swapped: at least two values, each with the words that go with it.</summary>
    public static List<SwapField> Fields(IReadOnlyList<AnswerFieldValue> values) =>
        values.Where(value => value.Words.Count > 0 && IsPlain(value.Value) && value.Words.All(IsPlain))
            .GroupBy(value => value.Field, StringComparer.Ordinal)
            .Where(field => field.Count() >= 2)
            .Select(field => new SwapField(field.Key, field.Select(value => new SwapValue(value.Value, value.Words)).ToList()))
            .ToList();

    /// <summary>The example's swappable values: where each stands in the answer and where its word stands in the ask.</summary>
    public static List<SwapSlot> Slots(int[] ids, int targetStart, ChatMessage answer, List<SwapField> fields)
    {
        var slots = new List<SwapSlot>();
        if (fields.Count == 0)
        {
            return slots;
        }

        var text = CopyAugmentation.TextOf(ids);
        var (ask, reply) = (text[..targetStart], text[targetStart..]);
        foreach (var (name, value) in AnswerGrounding.Fields(answer.ToolCalls, MessageContent.TextOf(answer.Content).Text))
        {
            var field = fields.FindIndex(candidate => candidate.Field == name);
            var choice = field < 0 ? -1 : fields[field].Values.FindIndex(candidate => candidate.Value == value);
            if (choice < 0)
            {
                continue;
            }

            var words = fields[field].Values[choice].Words
                .SelectMany(word => WholeWord(word).Matches(ask))
                .ToList();
            var quoted = $"\"{value}\"";
            var inAnswer = reply.IndexOf(quoted, StringComparison.Ordinal);
            if (words.Count == 1 && inAnswer >= 0 && reply.IndexOf(quoted, inAnswer + 1, StringComparison.Ordinal) < 0)
            {
                slots.Add(new SwapSlot(field, choice, words[0].Index, words[0].Length, targetStart + inAnswer + 1, value.Length));
            }
        }

        // Two slots on one word (the same value in two fields) cannot be swapped apart.
        return slots.DistinctBy(slot => slot.AskStart).Count() == slots.Count ? slots : [];
    }

    private static Regex WholeWord(string word) =>
        new($"(?<![A-Za-z0-9]){Regex.Escape(word)}(?![A-Za-z0-9])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static bool IsPlain(string text) => text.Length > 0 && text.All(char.IsAscii) && !text.Contains('"') && !text.Contains('\\');
}

/// <summary>A field whose values can be swapped, with each value and the ask words that go with it.</summary>
internal sealed record SwapField(string Field, List<SwapValue> Values);

internal sealed record SwapValue(string Value, List<string> Words);

/// <summary>One swappable value of an example: its field and value (indexes into the fields), its word in the ask and the value in the answer, as token spans.</summary>
internal sealed record SwapSlot(int Field, int Value, int AskStart, int AskLength, int AnswerStart, int AnswerLength);
