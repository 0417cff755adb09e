using System.Text.RegularExpressions;

namespace SlmGateway.Distill;

/// <summary>
/// Fills the placeholders that redaction left in an exported example (<c>[EMAIL]</c>, <c>[PHONE]</c>,
/// ...) with made-up values of the same kind, one value a kind throughout the example, the ask and
/// the teacher's answer alike. Trained on the placeholders, a specialist learns to write
/// <c>[EMAIL]</c>; trained on surrogates, it learns to copy whatever address the ask holds, which is
/// what it meets when serving. Placeholders of configured patterns, whose shape is unknown, stay.
/// </summary>
internal static partial class RedactionSurrogates
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyz";
    private const string Digits = "0123456789";

    public static string Fill(string line, Random random)
    {
        var chosen = new Dictionary<string, string>(StringComparer.Ordinal);
        return Placeholder().Replace(line, match =>
        {
            var kind = match.Groups[1].Value;
            if (!chosen.TryGetValue(kind, out var value))
            {
                value = Surrogate(kind, random);
                chosen[kind] = value;
            }

            return value;
        });
    }

    private static string Surrogate(string kind, Random random) => kind switch
    {
        "EMAIL" => $"{Word(random)}.{Word(random)}@{Word(random)}.{random.GetItems(["com", "org", "net", "io", "de"], 1)[0]}",
        "PHONE" => $"+{random.Next(1, 99)} {Text(random, Digits, 3)} {Text(random, Digits, 3)} {Text(random, Digits, 4)}",
        "IP" => $"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}",
        "CARD" => "4" + Text(random, Digits, 15),
        "IBAN" => "DE" + Text(random, Digits, 20),
        _ => "sk-" + Text(random, Letters + Digits, 24),
    };

    private static string Word(Random random) => Text(random, Letters, random.Next(3, 9));

    private static string Text(Random random, string alphabet, int length) => new(random.GetItems(alphabet.AsSpan(), length));

    [GeneratedRegex(@"\[(EMAIL|PHONE|IP|CARD|IBAN|SECRET)\]", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
