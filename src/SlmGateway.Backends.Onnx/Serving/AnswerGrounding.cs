using System.Globalization;
using System.Text.Json;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>
/// Answer fields that a model must take from the request rather than make up: a tool call's
/// top-level argument (<c>tool.argument</c>) or a top-level field of a JSON answer
/// (<c>content.field</c>) whose value must occur in the request's messages as a whole: a string
/// (ignoring case) not inside a longer word, a number as a number (<c>91</c> is not in "91.4 kg",
/// <c>12</c> is in "12.0 miles"). A value the model mistyped, cut short or invented (an order id
/// one character off, a city that was never asked about) is then caught before it reaches the agent. Which fields are
/// grounded is learned from a task's examples: those that the teacher took from the request in
/// (nearly) every one of them.
/// </summary>
public static class AnswerGrounding
{
    private const string ContentPrefix = "content.";

    /// <summary>The first grounded field of the answer whose value the request does not hold, or null.</summary>
    public static string? Problem(IReadOnlyList<ToolCall>? calls, string? content, ChatCompletionRequest request, IReadOnlyCollection<string> grounded)
    {
        if (grounded.Count == 0)
        {
            return null;
        }

        string? text = null;
        foreach (var (field, value) in Fields(calls, content))
        {
            if (grounded.Contains(field) && !Holds(text ??= RequestText(request), value))
            {
                return $"'{field}' is '{value}', which the request does not contain";
            }
        }

        return null;
    }

    /// <summary>
    /// The fields taken from the request in at least <paramref name="minShare"/> of the examples
    /// that have them, among fields present in at least <paramref name="minExamples"/> examples.
    /// </summary>
    public static List<string> Learn(IEnumerable<(ChatCompletionRequest Request, ChatMessage Answer)> examples, int minExamples, double minShare)
    {
        var counts = new Dictionary<string, (int Seen, int Grounded)>(StringComparer.Ordinal);
        foreach (var (request, answer) in examples)
        {
            string? text = null;
            foreach (var (field, value) in Fields(answer.ToolCalls, MessageContent.TextOf(answer.Content).Text))
            {
                var (seen, grounded) = counts.GetValueOrDefault(field);
                var found = Holds(text ??= RequestText(request), value);
                counts[field] = (seen + 1, grounded + (found ? 1 : 0));
            }
        }

        return counts
            .Where(count => count.Value.Seen >= minExamples && count.Value.Grounded >= minShare * count.Value.Seen)
            .Select(count => count.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Whether the text holds the value as a whole: a number among its numbers, a string not run into letters or digits around it.</summary>
    public static bool Holds(string text, string value) =>
        decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            ? HoldsNumber(text, number)
            : HoldsString(text, value);

    private static bool HoldsString(string text, string value)
    {
        for (var at = text.IndexOf(value, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            var end = at + value.Length;
            var runsIntoBefore = at > 0 && char.IsLetterOrDigit(value[0]) && char.IsLetterOrDigit(text[at - 1]);
            var runsIntoAfter = end < text.Length && char.IsLetterOrDigit(value[^1]) && char.IsLetterOrDigit(text[end]);
            if (!runsIntoBefore && !runsIntoAfter)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether one of the text's numbers (digits, a decimal part, a minus sign before them) equals the value; digits run on from a letter are not a number.</summary>
    private static bool HoldsNumber(string text, decimal number)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsAsciiDigit(text[i]) || (i > 0 && (char.IsLetterOrDigit(text[i - 1]) || text[i - 1] == '.')))
            {
                i++;
                continue;
            }

            var end = DigitsEnd(text, i);
            if (end + 1 < text.Length && text[end] == '.' && char.IsAsciiDigit(text[end + 1]))
            {
                end = DigitsEnd(text, end + 1);
            }

            var negative = i > 0 && text[i - 1] == '-' && (i == 1 || !char.IsLetterOrDigit(text[i - 2]));
            if (decimal.TryParse(text.AsSpan(i, end - i), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var found) && (negative ? -found : found) == number)
            {
                return true;
            }

            i = end;
        }

        return false;
    }

    private static int DigitsEnd(string text, int start)
    {
        while (start < text.Length && char.IsAsciiDigit(text[start]))
        {
            start++;
        }

        return start;
    }

    /// <summary>Every top-level string or number of the answer's tool-call arguments and JSON content, by field.</summary>
    public static IEnumerable<(string Field, string Value)> Fields(IReadOnlyList<ToolCall>? calls, string? content)
    {
        foreach (var call in calls ?? [])
        {
            foreach (var (name, value) in TopLevel(call.Function?.Arguments))
            {
                yield return ($"{call.Function!.Name}.{name}", value);
            }
        }

        foreach (var (name, value) in TopLevel(content))
        {
            yield return (ContentPrefix + name, value);
        }
    }

    private static List<(string Name, string Value)> TopLevel(string? json)
    {
        var fields = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(json) || json.AsSpan().TrimStart()[0] != '{')
        {
            return fields;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Value.ValueKind)
                {
                    case JsonValueKind.String when property.Value.GetString() is { Length: > 0 } text:
                        fields.Add((property.Name, text));
                        break;
                    case JsonValueKind.Number:
                        fields.Add((property.Name, NumberText(property.Value)));
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: nothing to check here (the schema check speaks for malformed answers).
        }

        return fields;
    }

    /// <summary>A number as a person writes it: 12.0 is looked for as "12", 0.50 as "0.5".</summary>
    private static string NumberText(JsonElement number) =>
        number.TryGetDecimal(out var value) ? (value / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture) : number.GetRawText();

    /// <summary>The text of every message of the request, and the arguments of the tool calls it already holds.</summary>
    internal static string RequestText(ChatCompletionRequest request) =>
        string.Join('\n', (request.Messages ?? []).SelectMany(message =>
            (message.ToolCalls ?? []).Select(call => call.Function?.Arguments ?? string.Empty).Prepend(MessageContent.TextOf(message.Content).Text)));
}
