using System.Text.RegularExpressions;
using PhoneNumbers;

namespace SlmGateway.Conversion.Redaction;

/// <summary>
/// Finds phone numbers in text: a cheap pattern finds what is written as people write phone numbers
/// (international form with <c>+</c> or <c>00</c>, a national trunk prefix <c>0</c>, an area code in
/// brackets, or North American 3-3-4 groups), then libphonenumber (Google's metadata, ported to C#)
/// keeps the candidates that are valid numbers: international ones by their country code, national
/// ones for any of the configured regions. With 50 regions nearly any run of 8 digits is valid
/// somewhere, which is why the written form is required: order numbers, dates, versions and
/// timestamps stay.
/// </summary>
internal sealed partial class PhoneNumberFinder(IReadOnlyList<string> regions)
{
    /// <summary>The regions looked for when none are configured: the most populous and most connected.</summary>
    public static readonly string[] DefaultRegions =
    [
        "US", "CA", "GB", "IE", "DE", "AT", "CH", "FR", "BE", "NL", "LU", "ES", "PT", "IT", "PL", "CZ", "SE", "NO", "DK", "FI",
        "JP", "KR", "CN", "HK", "TW", "SG", "IN", "AU", "NZ", "BR", "MX", "AR", "CO", "CL", "ZA", "NG", "KE", "EG", "TR", "IL",
        "AE", "SA", "RU", "UA", "ID", "PH", "VN", "TH", "MY", "PK",
    ];

    private const int MinimumDigits = 7;
    private readonly PhoneNumberUtil _util = PhoneNumberUtil.GetInstance();

    /// <summary>Where phone numbers are in <paramref name="text"/>, as (start, length), in order.</summary>
    public IReadOnlyList<(int Start, int Length)> Find(string text)
    {
        if (!Candidate().IsMatch(text))
        {
            return [];
        }

        var found = new List<(int Start, int Length)>();
        foreach (Match candidate in Candidate().Matches(text))
        {
            if (Longest(candidate.Value) is { } length)
            {
                found.Add((candidate.Index, length));
            }
        }

        return found;
    }

    /// <summary>The longest start of the candidate, cut at a separator, that is a valid number; null when none is.</summary>
    private int? Longest(string candidate)
    {
        for (var end = candidate.Length; end > 0; end = candidate.LastIndexOfAny([' ', '.', '-', '/', ')'], end - 1) is var cut && cut > 0 ? cut : 0)
        {
            var part = candidate[..end].TrimEnd(' ', '.', '-', '/');
            if (part.Count(char.IsAsciiDigit) < MinimumDigits)
            {
                return null;
            }

            if (IsValid(part))
            {
                return part.Length;
            }
        }

        return null;
    }

    private bool IsValid(string number)
    {
        if (number.StartsWith('+') || number.StartsWith("00", StringComparison.Ordinal))
        {
            return TryParse(number.StartsWith('+') ? number : "+" + number[2..], "ZZ") is { } international && _util.IsValidNumber(international);
        }

        foreach (var region in regions)
        {
            if (TryParse(number, region) is { } national && _util.IsValidNumberForRegion(national, region))
            {
                return true;
            }
        }

        return false;
    }

    private PhoneNumber? TryParse(string number, string region)
    {
        try
        {
            return _util.Parse(number, region);
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    // International (+ or 00), national with a trunk prefix (0) or an area code in brackets, or North American groups;
    // never glued to Latin letters or digits, or to an identifier's dash, dot or slash (text in other scripts may touch it).
    [GeneratedRegex(@"(?<![A-Za-z0-9_+.\-/])(?:(?:\+|00)\d[\d ()./\-]{5,}\d|0\d[\d ()./\-]{4,}\d|\(\d{2,5}\)[\d ./\-]{4,}\d|\d{3}[ .\-]\d{3}[ .\-]\d{4})(?![A-Za-z0-9_\-])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Candidate();
}
