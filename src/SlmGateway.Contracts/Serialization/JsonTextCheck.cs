using System.Buffers;
using System.Text;
using System.Text.Json;
using SlmGateway.Contracts.Errors;

namespace SlmGateway.Contracts.Serialization;

/// <summary>
/// Finds the first JSON string (a value or a property name) that is not valid Unicode: raw bytes
/// that are not UTF-8, or an escape of half a surrogate pair (<c>"\ud800"</c>). The JSON reader lets
/// both through, and they fail later wherever the text is read, so the gateway refuses them at the
/// door: for every endpoint, before anything is routed, forwarded or captured.
/// </summary>
public static class JsonTextCheck
{
    private const int StackChars = 256;

    /// <summary>A 400 naming the field that holds the first invalid string, or null. A body that is not JSON is the parser's to report.</summary>
    public static GatewayError? Check(ReadOnlySpan<byte> body)
    {
        var position = FirstInvalidString(body);
        if (position < 0)
        {
            return null;
        }

        var param = PathOf(body, position);
        return GatewayError.InvalidRequest(
            param is null
                ? "The request body holds a string that is not valid Unicode (invalid UTF-8, or an unpaired surrogate escape such as \\ud800)."
                : $"Invalid string in '{param}': it is not valid Unicode (invalid UTF-8, or an unpaired surrogate escape such as \\ud800).",
            param,
            "invalid_string");
    }

    /// <summary>The byte offset of the first invalid string token, or -1.</summary>
    private static long FirstInvalidString(ReadOnlySpan<byte> body)
    {
        // Strings lie between ASCII quotes, so in a body of valid UTF-8 every raw string is valid
        // UTF-8; only an escape can then hold half a surrogate pair, and all of those start "\uD".
        // That is the usual body, checked in one vectorised pass instead of a walk of every token.
        if (System.Text.Unicode.Utf8.IsValid(body) && !MayEscapeSurrogate(body))
        {
            return -1;
        }

        var reader = new Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && !IsValid(ref reader))
                {
                    return reader.TokenStartIndex;
                }
            }
        }
        catch (JsonException)
        {
            return -1;
        }

        return -1;
    }

    /// <summary>Whether the body holds <c>\uD</c> or <c>\ud</c> anywhere (an escaped backslash before a "u" counts too: it only costs the walk).</summary>
    private static bool MayEscapeSurrogate(ReadOnlySpan<byte> body)
    {
        int at;
        while ((at = body.IndexOf("\\u"u8)) >= 0)
        {
            body = body[(at + 2)..];
            if (body.Length > 0 && (body[0] | 0x20) == 'd')
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsValid(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return System.Text.Unicode.Utf8.IsValid(reader.ValueSpan);
        }

        var length = reader.ValueSpan.Length;
        char[]? rented = null;
        var chars = length <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(length));
        try
        {
            var written = reader.CopyString(chars);
            return !HasUnpaired(chars[..written]);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static bool HasUnpaired(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The field path (<c>messages[0].content</c>) of the token at <paramref name="position"/>, walked again only for the error.</summary>
    private static string? PathOf(ReadOnlySpan<byte> body, long position)
    {
        var reader = new Utf8JsonReader(body);
        var open = new List<Container>();
        string? property = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    open.RemoveAt(open.Count - 1);
                    continue;
                case JsonTokenType.PropertyName:
                    if (reader.TokenStartIndex == position)
                    {
                        return Join(open, null);
                    }

                    property = reader.GetString();
                    continue;
            }

            var segment = open.Count == 0 ? null : open[^1].IsArray ? $"[{open[^1].Next++}]" : property;
            if (reader.TokenStartIndex == position)
            {
                return Join(open, segment);
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                open.Add(new Container(segment, reader.TokenType == JsonTokenType.StartArray));
            }
        }

        return null;
    }

    private static string? Join(List<Container> open, string? last)
    {
        var builder = new StringBuilder();
        foreach (var segment in open.Select(c => c.Segment).Append(last))
        {
            if (string.IsNullOrEmpty(segment))
            {
                continue;
            }

            if (builder.Length > 0 && segment[0] != '[')
            {
                builder.Append('.');
            }

            builder.Append(segment);
        }

        return builder.Length == 0 ? null : builder.ToString();
    }

    private sealed class Container(string? segment, bool isArray)
    {
        public string? Segment { get; } = segment;

        public bool IsArray { get; } = isArray;

        public int Next { get; set; }
    }
}
