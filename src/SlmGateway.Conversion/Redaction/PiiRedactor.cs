using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SlmGateway.Conversion.Capture;

namespace SlmGateway.Conversion.Redaction;

/// <summary>
/// Replaces personal data and secrets with their kind in brackets before anything is stored:
/// secrets (<see cref="SecretRules"/>), e-mail addresses, IBANs (mod-97 checked), card numbers
/// (issuer prefix and Luhn checked), IP addresses, phone numbers (<see cref="PhoneNumberFinder"/>:
/// libphonenumber, valid numbers of the configured regions), and configured patterns. Digit runs that
/// are no valid phone or card number (ids, timestamps, amounts) stay.
/// </summary>
internal sealed partial class PiiRedactor
{
    private readonly (Regex Pattern, string Replacement)[] _configured;
    private readonly PhoneNumberFinder _phones;

    public PiiRedactor(IOptions<LoopOptions> options)
    {
        var redaction = options.Value.Redaction;
        _configured = redaction.Patterns
            .Select(p => (new Regex(p.Value, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), $"[{p.Key.ToUpperInvariant()}]"))
            .ToArray();
        _phones = new PhoneNumberFinder(redaction.PhoneRegions.Count > 0 ? redaction.PhoneRegions : PhoneNumberFinder.DefaultRegions);
    }

    public string Redact(string text)
    {
        if (text.Length == 0)
        {
            return text;
        }

        foreach (var rule in SecretRules.All)
        {
            text = Apply(rule, text);
        }

        // Patterns with a literal that every match holds run only on texts that hold it: the regex
        // engine finds no anchor in them and tries each word.
        if (text.Contains('@'))
        {
            text = Email().Replace(text, "[EMAIL]");
        }

        text = IbanCandidate().Replace(text, m => Checksums.Iban(m.Value.Replace(" ", string.Empty, StringComparison.Ordinal)) ? "[IBAN]" : m.Value);
        text = CardCandidate().Replace(text, m => IsCard(m.Value) ? "[CARD]" : m.Value);
        text = IPv4().Replace(text, "[IP]");
        if (text.Contains(':'))
        {
            text = IPv6Candidate().Replace(text, m => IsIPv6(m.Value) ? "[IP]" : m.Value);
        }

        text = RedactPhones(text);
        foreach (var (pattern, replacement) in _configured)
        {
            text = pattern.Replace(text, replacement);
        }

        return text;
    }

    /// <summary>
    /// Redacts every string in a JSON tree (strings holding JSON, such as tool-call arguments, are
    /// redacted as JSON so they stay parseable) and every number that is a card number.
    /// </summary>
    public JsonNode? Redact(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                // Detached by Clear, the children are redacted in place and put back: no copies.
                var properties = obj.ToArray();
                obj.Clear();
                foreach (var (name, value) in properties)
                {
                    obj[name] = Redact(value);
                }

                return obj;
            case JsonArray array:
                var items = array.ToArray();
                array.Clear();
                foreach (var item in items)
                {
                    array.Add(Redact(item));
                }

                return array;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return JsonValue.Create(RedactJsonString(value.GetValue<string>()));
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number && IsCard(value.ToJsonString()):
                return JsonValue.Create("[CARD]");
            default:
                return node;
        }
    }

    /// <summary>A string value of a JSON text, redacted: as JSON when it holds JSON (so it stays parseable), else as text.</summary>
    public string RedactJsonString(string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length > 1 && trimmed[0] is '{' or '[')
        {
            try
            {
                return Redact(JsonTree.Parse(text))?.ToJsonString() ?? text;
            }
            catch (JsonException)
            {
                // Not JSON after all: redacted as text below.
            }
        }

        return Redact(text);
    }

    /// <summary>Replaces what a secret rule finds (the rule's group of each match) with <c>[SECRET]</c>.</summary>
    private static string Apply(SecretRules.Rule rule, string text) =>
        !rule.CanMatch(text) || !rule.Pattern.IsMatch(text) ? text : rule.Pattern.Replace(text, match =>
        {
            var secret = match.Groups[rule.Group];
            if (rule.Check is { } check && !check(secret.Value))
            {
                return match.Value;
            }

            return string.Concat(match.Value.AsSpan(0, secret.Index - match.Index), "[SECRET]", match.Value.AsSpan(secret.Index - match.Index + secret.Length));
        });

    private string RedactPhones(string text)
    {
        var found = _phones.Find(text);
        if (found.Count == 0)
        {
            return text;
        }

        var builder = new System.Text.StringBuilder(text.Length);
        var at = 0;
        foreach (var (start, length) in found)
        {
            builder.Append(text, at, start - at).Append("[PHONE]");
            at = start + length;
        }

        return builder.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>Whether a number, as written in JSON, is a card number.</summary>
    public static bool IsCard(ReadOnlySpan<byte> number)
    {
        Span<char> text = stackalloc char[Math.Min(number.Length, 32)];
        return number.Length <= text.Length && System.Text.Encoding.UTF8.TryGetChars(number, text, out var length) && IsCard(text[..length]);
    }

    private static bool IsCard(ReadOnlySpan<char> candidate)
    {
        Span<char> digits = stackalloc char[19];
        var count = 0;
        foreach (var c in candidate)
        {
            if (char.IsAsciiDigit(c))
            {
                if (count == digits.Length)
                {
                    return false;
                }

                digits[count++] = c;
            }
        }

        return count is >= 13 and <= 19 && HasIssuerPrefix(digits[..count]) && Checksums.Luhn(digits[..count]);
    }

    /// <summary>Visa, Mastercard, American Express, Discover, JCB, Diners Club, UnionPay, Maestro.</summary>
    private static bool HasIssuerPrefix(ReadOnlySpan<char> digits)
    {
        var two = (digits[0] - '0') * 10 + (digits[1] - '0');
        var four = two * 100 + (digits[2] - '0') * 10 + (digits[3] - '0');
        return digits[0] == '4'
            || two is >= 51 and <= 55 or 34 or 37 or 35 or 36 or 38 or 30 or 62 or 65 or 50 or 56 or 57 or 58 or 67
            || four is >= 2221 and <= 2720 or 6011 or >= 6440 and <= 6499;
    }

    private static bool IsIPv6(string candidate) =>
        candidate.Count(c => c == ':') >= 2
        && candidate.Any(char.IsAsciiHexDigit)
        && (candidate.Contains("::", StringComparison.Ordinal) || candidate.Count(c => c == ':') == 7)
        && IPAddress.TryParse(candidate, out var address)
        && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    [GeneratedRegex(@"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Email();

    [GeneratedRegex(@"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex IbanCandidate();

    [GeneratedRegex(@"(?<![\w.])\d(?:[ \-]?\d){12,18}(?![\w.])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex CardCandidate();

    [GeneratedRegex(@"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.]|\.\d)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex IPv4();

    [GeneratedRegex(@"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex IPv6Candidate();
}
