using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>
/// Pairs of answer fields with few values over the same values (<c>from_unit</c> and
/// <c>to_unit</c>), learned from a task's examples: the two never held the same value, and the ask's
/// words for each stood after words of their own (a number before the <c>from_unit</c> word, "to" or
/// "into" before the <c>to_unit</c> word). An answer is caught when the two are equal or look swapped;
/// the word check of <see cref="FieldValueEvidence"/> passes both, since every word is in the ask.
/// </summary>
public static class FieldPairEvidence
{
    // Two fields are over the same values when they share at least half of the values of the one with fewer.
    private const double MinSharedValues = 0.5;

    /// <summary>The first problem of the answer's fields with a learned pair, or null.</summary>
    public static string? Problem(
        List<(string Field, string Value)> fields, ChatCompletionRequest request, IReadOnlyList<AnswerFieldValue> values, IReadOnlyList<AnswerFieldPair> different)
    {
        List<string>? tokens = null;
        foreach (var pair in different)
        {
            if (fields.FirstOrDefault(field => field.Field == pair.First).Value is not { } first
                || fields.FirstOrDefault(field => field.Field == pair.Second).Value is not { } second)
            {
                continue;
            }

            if (first == second)
            {
                return $"'{pair.First}' and '{pair.Second}' are both '{first}', which they never were in its examples";
            }

            foreach (var (field, value, precededBy) in new[] { (pair.First, first, pair.FirstPrecededBy), (pair.Second, second, pair.SecondPrecededBy) })
            {
                if (precededBy.Count > 0 && WordsOf(values, field, value) is { Count: > 0 } valueWords
                    && !WordsBefore(tokens ??= Tokens(AnswerGrounding.RequestText(request)), valueWords).Overlaps(precededBy))
                {
                    return $"'{field}' is '{value}', but its words do not stand where that field's words stood in its examples (after {string.Join(", ", precededBy)}): the fields look swapped";
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Pairs of the learned fields of one tool (or of the JSON answer) over the same values whose
    /// values differed in at least <paramref name="minShare"/> of the at least
    /// <paramref name="minExamples"/> examples that have both.
    /// </summary>
    public static List<AnswerFieldPair> Learn(
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
        var before = pairs.Select(_ => (First: new List<HashSet<string>>(), Second: new List<HashSet<string>>())).ToList();
        foreach (var (request, answer) in examples)
        {
            var fields = AnswerGrounding.Fields(answer.ToolCalls, MessageContent.TextOf(answer.Content).Text).ToList();
            List<string>? tokens = null;
            for (var i = 0; i < pairs.Count; i++)
            {
                if (fields.FirstOrDefault(field => field.Field == pairs[i].First).Value is { } first
                    && fields.FirstOrDefault(field => field.Field == pairs[i].Second).Value is { } second)
                {
                    counts[i, 0]++;
                    counts[i, 1] += first == second ? 0 : 1;
                    if (first != second && WordsOf(learned, pairs[i].First, first) is { Count: > 0 } firstWords && WordsOf(learned, pairs[i].Second, second) is { Count: > 0 } secondWords)
                    {
                        tokens ??= Tokens(AnswerGrounding.RequestText(request));
                        before[i].First.Add(WordsBefore(tokens, firstWords));
                        before[i].Second.Add(WordsBefore(tokens, secondWords));
                    }
                }
            }
        }

        return pairs.Select((pair, i) => (Pair: pair, Index: i))
            .Where(pair => counts[pair.Index, 0] >= minExamples && counts[pair.Index, 1] >= minShare * counts[pair.Index, 0])
            .Select(pair => new AnswerFieldPair
            {
                First = pair.Pair.First,
                Second = pair.Pair.Second,
                FirstPrecededBy = FieldValueEvidence.WordsGoingWith(before[pair.Index].First, before[pair.Index].Second, minShare),
                SecondPrecededBy = FieldValueEvidence.WordsGoingWith(before[pair.Index].Second, before[pair.Index].First, minShare),
            })
            .ToList();
    }

    private static List<string>? WordsOf(IReadOnlyList<AnswerFieldValue> values, string field, string value) =>
        values.FirstOrDefault(entry => entry.Field == field && entry.Value == value)?.Words;

    /// <summary>The tokens that stand right before any of the words in the text (<c>^</c> at its start).</summary>
    private static HashSet<string> WordsBefore(List<string> tokens, List<string> words)
    {
        var before = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
        {
            if (words.Contains(tokens[i]))
            {
                before.Add(i == 0 ? "^" : tokens[i - 1]);
            }
        }

        return before;
    }

    /// <summary>The words of a text in order, lower case, with <c>#</c> for each run of digits.</summary>
    private static List<string> Tokens(string text) =>
        FieldValueEvidence.Runs(text).Select(run => run.All(char.IsAsciiDigit) ? "#" : run.ToLowerInvariant()).ToList();

    private static string Owner(string field) => field[..field.LastIndexOf('.')];

    private static double SharedShare(HashSet<string> first, HashSet<string> second) =>
        (double)first.Count(second.Contains) / Math.Min(first.Count, second.Count);
}
