using System.Text.Json;

namespace SlmGateway.Conversion.Shadow;

/// <summary>Whether two JSON values mean the same: objects in any property order, numbers by value.</summary>
internal static class JsonEquality
{
    public static bool Equal(JsonElement a, JsonElement b)
    {
        if (a.ValueKind != b.ValueKind)
        {
            return false;
        }

        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                var left = a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
                var right = b.EnumerateObject().ToList();
                return left.Count == right.Count && right.All(p => left.TryGetValue(p.Name, out var value) && Equal(value, p.Value));
            case JsonValueKind.Array:
                return a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(pair => Equal(pair.First, pair.Second));
            case JsonValueKind.Number:
                return a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y) ? x == y : a.GetDouble().Equals(b.GetDouble());
            case JsonValueKind.String:
                return a.ValueEquals(b.GetString());
            default:
                return true;
        }
    }

    /// <summary>Two JSON texts that parse and are equal; false when either does not parse.</summary>
    public static bool EqualTexts(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return false;
        }

        try
        {
            using var left = JsonDocument.Parse(a);
            using var right = JsonDocument.Parse(b);
            return Equal(left.RootElement, right.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
