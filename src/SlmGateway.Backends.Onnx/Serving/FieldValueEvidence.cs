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

    // Two fields are over the same values when they share at least half of the values of the one with fewer.
    private const double MinSharedValues = 0.5;

    /// <summary>The first field of the answer whose value the learned values do not allow for this request, or null.</summary>
    public static string? Problem(
        IReadOnlyList<ToolCall>? calls, string? content, ChatCompletionRequest request, IReadOnlyList<AnswerFieldValue> values, IReadOnlyList<AnswerFieldPair> different)
    {
        if (values.Count == 0 && different.Count == 0)
        {
            return null;
        }

        var fields = AnswerGrounding.Fields(calls, content).ToList();
        foreach (var pair in different)
        {
            if (fields.FirstOrDefault(field => field.Field == pair.First).Value is { } first && fields.Any(field => field.Field == pair.Second && field.Value == first))
            {
                return $"'{pair.First}' and '{pair.Second}' are both '{first}', which they never were in its examples";
            }
        }

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

        return null;
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

    /// <summary>
    /// Pairs of the learned fields of one tool (or of the JSON answer) over the same values whose
    /// values differed in at least <paramref name="minShare"/> of the at least
    /// <paramref name="minExamples"/> examples that have both.
    /// </summary>
    public static List<AnswerFieldPair> LearnDifferent(
        IEnumerable<(ChatCompletionRequest Request, ChatMessage Answer)> examples, IReadOnlyList<AnswerFieldValue> learned, int minExamples, double minShare)
    {
        var valuesOf = learned.GroupBy(value => value.Field, StringComparer.Ordinal)
            .ToDictionary(field => field.Key, field => field.Select(value => value.Value).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var candidates = valuesOf.Keys.Order(StringComparer.Ordinal).ToList();
        var pairs = candidates.SelectMany((first, i) => candidates.Skip(i + 1).Select(second => (First: first, Second: second)))
            .Where(pair => Owner(pair.First) == Owner(pair.Second) && SharedShare(valuesOf[pair.First], valuesOf[pair.Second]) >= MinSharedValues)
            .ToList();
        if (pairs.Count == 0)
        {
            return [];
        }

        var counts = new int[pairs.Count, 2];
        foreach (var (_, answer) in examples)
        {
            var fields = AnswerGrounding.Fields(answer.ToolCalls, MessageContent.TextOf(answer.Content).Text).ToList();
            for (var i = 0; i < pairs.Count; i++)
            {
                if (fields.FirstOrDefault(field => field.Field == pairs[i].First).Value is { } first
                    && fields.FirstOrDefault(field => field.Field == pairs[i].Second).Value is { } second)
                {
                    counts[i, 0]++;
                    counts[i, 1] += first == second ? 0 : 1;
                }
            }
        }

        return pairs.Where((_, i) => counts[i, 0] >= minExamples && counts[i, 1] >= minShare * counts[i, 0])
            .Select(pair => new AnswerFieldPair { First = pair.First, Second = pair.Second })
            .ToList();
    }

    private static string Owner(string field) => field[..field.LastIndexOf('.')];

    private static double SharedShare(HashSet<string> first, HashSet<string> second) =>
        (double)first.Count(second.Contains) / Math.Min(first.Count, second.Count);

    /// <summary>The words of a text, lower case: runs of letters and digits.</summary>
    public static HashSet<string> Words(string text)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && char.IsLetterOrDigit(text[i]))
            {
                start = start < 0 ? i : start;
            }
            else if (start >= 0)
            {
                words.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }

        return words;
    }

    /// <summary>The fewest of the words going with a value, most common first, that cover the share of its requests; none if all of them do not.</summary>
    private static List<string> WordsGoingWith(List<HashSet<string>> with, List<HashSet<string>> without, double minShare)
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
