namespace SlmGateway.Routing.Classification;

/// <summary>
/// The request's shape as numbers in [0, 1], beside the ask's words or embedding in the
/// classifier's input: whether tools are offered, whether this step answers tool results, whether a
/// JSON answer is asked for, how long and how many-part the ask is, whether it holds code or
/// mathematics. Their weights are learned. Deliberately absent: how many tools are offered and how
/// long the conversation is, which say how an agent is built, not how hard its current ask is (in
/// the development data they separate the sources rather than the kinds of work).
/// </summary>
internal static class ShapeSignals
{
    public static readonly string[] Names =
    [
        "tools_offered", "follows_tool_result", "json_output", "ask_length", "ask_lines", "system_length", "code", "math",
    ];

    public static float[] Of(RequestFeatures features)
    {
        var ask = features.Ask;
        return
        [
            features.ToolsOffered ? 1 : 0,
            features.FollowsToolResult ? 1 : 0,
            features.ResponseFormat is null ? 0 : 1,
            Log(ask.Length, 16384),
            Log(LineCount(ask), 128),
            Log(features.SystemChars, 16384),
            HasCode(ask) ? 1 : 0,
            HasMath(ask) ? 1 : 0,
        ];
    }

    /// <summary>log2(1 + value) scaled so that <paramref name="full"/> reads 1.</summary>
    private static float Log(int value, int full) => (float)Math.Min(1, Math.Log2(1 + value) / Math.Log2(1 + full));

    private static int LineCount(string text)
    {
        var lines = 0;
        var blank = true;
        foreach (var c in text)
        {
            if (c == '\n')
            {
                lines += blank ? 0 : 1;
                blank = true;
            }
            else if (!char.IsWhiteSpace(c))
            {
                blank = false;
            }
        }

        return lines + (blank ? 0 : 1);
    }

    private static readonly string[] CodeMarkers = ["```", "def ", "return ", "import ", "#include", "function ", "=>", "};", "public ", "class ", "SELECT ", "print("];

    private static bool HasCode(string text) => CodeMarkers.Any(marker => text.Contains(marker, StringComparison.Ordinal));

    private static readonly string[] MathMarkers = ["\\frac", "\\sqrt", "$$", "\\(", "^2", "x^", "∫", "√"];

    /// <summary>Formulas, or a digit, an operator and a digit (<c>3 + 4</c>, <c>2x=8</c>).</summary>
    private static bool HasMath(string text)
    {
        if (MathMarkers.Any(marker => text.Contains(marker, StringComparison.Ordinal)))
        {
            return true;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is not ('+' or '*' or '/' or '=' or '×' or '÷'))
            {
                continue;
            }

            var before = text.AsSpan(Math.Max(0, i - 3), Math.Min(3, i)).TrimEnd();
            var after = text.AsSpan(i + 1, Math.Min(3, text.Length - i - 1)).TrimStart();
            if (before.Length > 0 && char.IsAsciiLetterOrDigit(before[^1]) && after.Length > 0 && char.IsAsciiDigit(after[0]))
            {
                return true;
            }
        }

        return false;
    }
}
