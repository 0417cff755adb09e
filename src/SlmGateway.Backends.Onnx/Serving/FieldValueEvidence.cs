using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>
/// Answer fields that take one of a few values (a unit code, a status) that the request does not
/// spell out as such: "ounces" asks for <c>oz</c>. Learned from a task's examples: the values each
/// field took and, for each value, request words that went with it. An answer is then caught when a
/// field holds a value the examples never had, or a value none of whose words the request contains
/// (a specialist that answers <c>g</c> to an ask about ounces). Schema validation cannot see either:
/// both answers are valid.
/// </summary>
public static class FieldValueEvidence
{
    // A field counts as one with few values when it took at most 32 of them, each in 5 examples on
    // average: enough examples of every value to tell which words go with it.
    private const int MaxValues = 32;
    private const int MinExamplesPerValue = 5;

    // A word goes with a value when it is in at least two of the value's requests and at least twice
    // as common in them as in the requests where the field took another value.
    private const int MinWordExamples = 2;
    private const double MinWordLift = 2.0;

    /// <summary>The first field of the answer whose value the learned values do not allow for this request, or null.</summary>
    public static string? Problem(
        IReadOnlyList<ToolCall>? calls, string? content, ChatCompletionRequest request, IReadOnlyList<AnswerFieldValue> values, IReadOnlyList<AnswerFieldPair> different)
    {
        if (values.Count == 0 && different.Count == 0)
        {
            return null;
        }

        var fields = AnswerGrounding.Fields(calls, content).ToList();
        HashSet<string>? words = null;
        foreach (var (field, value) in fields)
        {
            if (!values.Any(entry => entry.Field == field))
            {
                continue;
            }

            if (values.FirstOrDefault(entry => entry.Field == field && entry.Value == value) is not { } known)
            {
                return $"'{field}' is '{value}', a value its examples never had";
            }

            if (known.Words.Count > 0 && !(words ??= Words(AnswerGrounding.RequestText(request))).Overlaps(known.Words))
            {
                return $"'{field}' is '{value}', but the request has none of the words that go with it ({string.Join(", ", known.Words)})";
            }
        }

        return FieldPairEvidence.Problem(fields, request, values, different);
    }

    /// <summary>
    /// The values of the fields with few values among at least <paramref name="minExamples"/>
    /// examples, each with words that together are in at least <paramref name="minShare"/> of its
    /// requests (none where no such words exist: the value is then allowed unchecked).
    /// </summary>
    public static List<AnswerFieldValue> Learn(IEnumerable<(ChatCompletionRequest Request, ChatMessage Answer)> examples, int minExamples, double minShare)
    {
        var byField = new Dictionary<string, List<(string Value, HashSet<string> Words)>>(StringComparer.Ordinal);
        foreach (var (request, answer) in examples)
        {
            HashSet<string>? words = null;
            foreach (var (field, value) in AnswerGrounding.Fields(answer.ToolCalls, MessageContent.TextOf(answer.Content).Text))
            {
                words ??= Words(AnswerGrounding.RequestText(request));
                if (!byField.TryGetValue(field, out var seen))
                {
                    byField[field] = seen = [];
                }

                seen.Add((value, words));
            }
        }

        var learned = new List<AnswerFieldValue>();
        foreach (var (field, seen) in byField.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            var values = seen.GroupBy(example => example.Value, StringComparer.Ordinal).OrderBy(value => value.Key, StringComparer.Ordinal).ToList();
            if (seen.Count < minExamples || values.Count > MaxValues || values.Count * MinExamplesPerValue > seen.Count)
            {
                continue;
            }

            learned.AddRange(values.Select(value => new AnswerFieldValue
            {
                Field = field,
                Value = value.Key,
                Words = WordsGoingWith(
                    value.Select(example => example.Words).ToList(),
                    seen.Where(example => example.Value != value.Key).Select(example => example.Words).ToList(),
                    minShare),
            }));
        }

        return learned;
    }

    /// <summary>The words of a text, lower case: runs of letters and digits.</summary>
    public static HashSet<string> Words(string text) => Runs(text).Select(run => run.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);

    internal static IEnumerable<string> Runs(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && char.IsLetterOrDigit(text[i]))
            {
                start = start < 0 ? i : start;
            }
            else if (start >= 0)
            {
                yield return text[start..i];
                start = -1;
            }
        }
    }

    /// <summary>The fewest of the words going with a value, most common first, that cover the share of its requests; none if all of them do not.</summary>
    internal static List<string> WordsGoingWith(List<HashSet<string>> with, List<HashSet<string>> without, double minShare)
    {
        if (without.Count == 0)
        {
            return [];
        }

        var candidates = with.SelectMany(words => words)
            .GroupBy(word => word, StringComparer.Ordinal)
            .Select(word => (Word: word.Key, With: word.Count(), Without: without.Count(words => words.Contains(word.Key))))
            .Where(word => word.With >= MinWordExamples && (double)word.With / with.Count >= MinWordLift * word.Without / without.Count)
            .OrderByDescending(word => word.With)
            .ThenBy(word => word.Word, StringComparer.Ordinal);

        var chosen = new List<string>();
        var uncovered = with.ToList();
        foreach (var (word, _, _) in candidates)
        {
            if (uncovered.RemoveAll(words => words.Contains(word)) == 0)
            {
                continue;
            }

            chosen.Add(word);
            if (with.Count - uncovered.Count >= minShare * with.Count)
            {
                return chosen;
            }
        }

        return [];
    }
}
