using System.Text.Json;
using Json.Schema;

namespace SlmGateway.Backends.Onnx.Guidance;

/// <summary>
/// Checks a client's JSON schema before the local model uses it (for constrained decoding and for
/// validating the answer), so that no schema can make the engine run away. llguidance expands
/// counted repetition (<c>minItems</c>, <c>maxItems</c>, ...) into grammar symbols at about half a
/// kilobyte each: <c>"minItems": 1000000000</c> grew the process by 400 MB/s until it was killed.
/// So every count is bounded by what the model can write at all, and the whole schema by a budget.
/// </summary>
internal static class SchemaCheck
{
    /// <summary>Counts that llguidance unrolls into grammar symbols.</summary>
    internal static readonly string[] CountKeywords = ["minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains"];

    private const int MaxDepth = 32;
    private const int MinimumBudget = 16_384;

    private static readonly string[] UnsupportedRegexConstructs = ["(?=", "(?!", "(?<=", "(?<!", "\\k<"];

    /// <summary>What makes the schema unusable locally, or null. <paramref name="maxOutputTokens"/> bounds every count.</summary>
    public static string? Problem(JsonElement schema, int maxOutputTokens)
    {
        var walk = new Walk(maxOutputTokens, Math.Max(MinimumBudget, 4 * maxOutputTokens));
        var problem = walk.Visit(schema, "#", 0);
        if (problem is not null)
        {
            return problem;
        }

        try
        {
            JsonSchema.FromText(schema.GetRawText());
            return null;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or FormatException or NotSupportedException)
        {
            return $"it is not a valid JSON schema ({ex.Message})";
        }
    }

    private sealed class Walk(int maxCount, int budget)
    {
        private int _spent;

        public string? Visit(JsonElement node, string path, int depth)
        {
            if (depth > MaxDepth)
            {
                return $"it nests deeper than {MaxDepth} levels at {path}";
            }

            if (++_spent > budget)
            {
                return $"it is larger than constrained decoding allows ({budget} nodes, counts and enum values)";
            }

            return node.ValueKind switch
            {
                JsonValueKind.Object => VisitObject(node, path, depth),
                JsonValueKind.Array => VisitArray(node, path, depth),
                _ => null,
            };
        }

        private string? VisitObject(JsonElement node, string path, int depth)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in node.EnumerateObject())
            {
                var at = $"{path}/{property.Name}";
                if (!seen.Add(property.Name))
                {
                    return $"the key '{property.Name}' appears twice at {path}";
                }

                var problem = Keyword(property, at) ?? Visit(property.Value, at, depth + 1);
                if (problem is not null)
                {
                    return problem;
                }
            }

            return null;
        }

        private string? VisitArray(JsonElement node, string path, int depth)
        {
            var index = 0;
            foreach (var item in node.EnumerateArray())
            {
                if (Visit(item, $"{path}/{index++}", depth + 1) is { } problem)
                {
                    return problem;
                }
            }

            return null;
        }

        private string? Keyword(JsonProperty property, string path)
        {
            var value = property.Value;
            if (property.Name is "pattern" && value.ValueKind == JsonValueKind.String)
            {
                return RegexProblem(value.GetString()!, path);
            }

            if (property.Name is "patternProperties" && value.ValueKind == JsonValueKind.Object)
            {
                foreach (var pattern in value.EnumerateObject())
                {
                    if (RegexProblem(pattern.Name, $"{path}/{pattern.Name}") is { } problem)
                    {
                        return problem;
                    }
                }
            }

            if (Array.IndexOf(CountKeywords, property.Name) < 0 || value.ValueKind != JsonValueKind.Number)
            {
                return null;
            }

            if (!value.TryGetDouble(out var count) || count < 0)
            {
                return $"{path} must be a non-negative integer";
            }

            // Only a minimum can be too large: a larger maximum is narrowed to what the model can write.
            if (property.Name.StartsWith("min", StringComparison.Ordinal) && count > maxCount)
            {
                return $"{path} is {count}, more than the local model's {maxCount} output tokens can hold";
            }

            _spent += (int)Math.Min(count, maxCount);
            return _spent > budget ? $"its counts add up to more than constrained decoding allows ({budget})" : null;
        }

        private static string? RegexProblem(string pattern, string path)
        {
            foreach (var construct in UnsupportedRegexConstructs)
            {
                if (pattern.Contains(construct, StringComparison.Ordinal))
                {
                    return $"the pattern at {path} uses look-around or a named back-reference, which constrained decoding cannot follow";
                }
            }

            for (var i = 0; i + 1 < pattern.Length; i++)
            {
                if (pattern[i] == '\\')
                {
                    if (char.IsAsciiDigit(pattern[i + 1]) && pattern[i + 1] != '0')
                    {
                        return $"the pattern at {path} uses a back-reference, which constrained decoding cannot follow";
                    }

                    i++;
                }
            }

            return null;
        }
    }
}
