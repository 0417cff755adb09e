using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SlmGateway.Conversion.Capture;

namespace SlmGateway.Conversion.Redaction;

/// <summary>
/// Replaces personal data and secrets with their kind in brackets before anything is stored:
/// secrets (bearer tokens, API keys, key=value credentials), e-mail addresses, IBANs (mod-97 checked),
/// card numbers (issuer prefix and Luhn checked), IP addresses, phone numbers in written forms, and
/// configured patterns. Digit runs without a phone's or card's form (ids, timestamps, amounts) stay.
/// </summary>
internal sealed partial class PiiRedactor
{
    private readonly (Regex Pattern, string Replacement)[] _configured;

    public PiiRedactor(IOptions<LoopOptions> options)
    {
        _configured = options.Value.Redaction.Patterns
            .Select(p => (new Regex(p.Value, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), $"[{p.Key.ToUpperInvariant()}]"))
            .ToArray();
    }

    public string Redact(string text)
    {
        if (text.Length == 0)
        {
            return text;
        }

        text = BearerToken().Replace(text, "$1[SECRET]");
        text = Credential().Replace(text, "$1[SECRET]");
        text = ApiKey().Replace(text, "[SECRET]");
        text = Email().Replace(text, "[EMAIL]");
        text = IbanCandidate().Replace(text, m => Checksums.Iban(m.Value.Replace(" ", string.Empty, StringComparison.Ordinal)) ? "[IBAN]" : m.Value);
        text = CardCandidate().Replace(text, m => IsCard(m.Value) ? "[CARD]" : m.Value);
        text = IPv4().Replace(text, "[IP]");
        text = IPv6Candidate().Replace(text, m => IsIPv6(m.Value) ? "[IP]" : m.Value);
        text = InternationalPhone().Replace(text, m => DigitCount(m.Value) is >= 8 and <= 15 ? "[PHONE]" : m.Value);
        text = NorthAmericanPhone().Replace(text, "[PHONE]");
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
                return JsonValue.Create(RedactString(value.GetValue<string>()));
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number && IsCard(value.ToJsonString()):
                return JsonValue.Create("[CARD]");
            default:
                return node;
        }
    }

    private string RedactString(string text)
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

    private static bool IsCard(string candidate)
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

    private static int DigitCount(string text) => text.Count(char.IsAsciiDigit);

    [GeneratedRegex(@"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex BearerToken();

    [GeneratedRegex(@"(?i)(\b(?:api[_-]?key|secret|password|passwd|token|access[_-]?key|client[_-]?secret)[""']?\s*[:=]\s*[""']?)[^\s""',;}]{6,}", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Credential();

    [GeneratedRegex(@"\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9\-]{10,}|AIza[0-9A-Za-z_\-]{35}|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ApiKey();

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

    [GeneratedRegex(@"(?<![\w+])\+\d{1,3}(?:[ .\-]?\(?\d{1,4}\)?){2,5}(?![\w])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex InternationalPhone();

    [GeneratedRegex(@"(?<![\w\-.])(?:\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?![\w\-.])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex NorthAmericanPhone();
}
