using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SlmGateway.Backends.Onnx.Serving;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Distill;

/// <summary>
/// Variants of training examples in which the values the teacher copied from the ask are replaced,
/// in the ask and in the answer alike, by made-up values of the same shape (letters by letters of the
/// same case, digits by digits, a zero staying a zero so that numbers stay numbers). From a few
/// hundred examples a small model otherwise learns the values it saw (say, 120 cities) instead of
/// copying them, and fails on the ones it did not see; in the variants only copying fits. Copied
/// values are those of grounded fields that take many different values (names, ids, places,
/// addresses); a grounded field with few values (a unit, a status) is a category and stays.
/// </summary>
internal static class CopyAugmentation
{
    private const int MinDistinctValues = 20;
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";

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

    /// <summary>The example with its copied values replaced wherever they occur, or null when it has none that can be.</summary>
    public static string? Variant(string line, ChatMessage answer, IReadOnlyCollection<string> copied, Random random)
    {
        var values = AnswerGrounding.Fields(answer.ToolCalls, MessageContent.TextOf(answer.Content).Text)
            .Where(field => copied.Contains(field.Field) && field.Value.Length >= 2 && field.Value.All(Replaceable))
            .Select(field => field.Value)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        if (values.Count == 0)
        {
            return null;
        }

        var letters = random.GetItems(Lower.AsSpan(), Lower.Length);
        var digits = random.GetItems("123456789".AsSpan(), 9);
        var occurrences = values
            .Select(value => new Regex($"(?<![A-Za-z0-9]){Regex.Escape(value)}(?![A-Za-z0-9])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant))
            .ToList();
        var example = JsonNode.Parse(line)!;
        ReplaceInStrings(example, text => occurrences.Aggregate(text, (current, occurrence) => occurrence.Replace(current, match => Reshape(match.Value, letters, digits))));
        return example.ToJsonString();
    }

    /// <summary>
    /// Rewrites every string of the example (the JSON held in strings, such as tool-call arguments,
    /// is rewritten as the text it is, where its quotes are plain).
    /// </summary>
    private static void ReplaceInStrings(JsonNode node, Func<string, string> rewrite)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(property => property.Key).ToList())
                {
                    Rewrite(obj[name], rewrite, value => obj[name] = value);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var index = i;
                    Rewrite(array[i], rewrite, value => array[index] = value);
                }

                break;
        }
    }

    private static void Rewrite(JsonNode? child, Func<string, string> rewrite, Action<JsonNode> replace)
    {
        if (child is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            replace(JsonValue.Create(rewrite(value.GetValue<string>())));
        }
        else if (child is not null)
        {
            ReplaceInStrings(child, rewrite);
        }
    }

    /// <summary>Characters that read the same inside a JSON string and inside a JSON string in a JSON string.</summary>
    private static bool Replaceable(char c) => char.IsAsciiLetterOrDigit(c) || c is ' ' or '-' or '.' or '@' or '_' or ':' or '/';

    private static string Reshape(string value, char[] letters, char[] digits) => string.Create(value.Length, (value, letters, digits), static (span, state) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            var c = state.value[i];
            span[i] = c switch
            {
                >= 'a' and <= 'z' => state.letters[c - 'a'],
                >= 'A' and <= 'Z' => char.ToUpperInvariant(state.letters[c - 'A']),
                >= '1' and <= '9' => state.digits[c - '1'],
                _ => c,
            };
        }
    });
}
