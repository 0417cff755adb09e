using System.Text;

namespace SlmGateway.Backends.Onnx.ToolCalls;

/// <summary>Reads calls written between an opening and a closing tag (the closing one may be cut off at the end); text outside the tags is content.</summary>
internal static class TaggedToolCalls
{
    /// <summary>The calls and the rest of the text, or null when there is no tag or a tagged body is not a well-formed call.</summary>
    public static ParsedOutput? Read(string text, string open, string close)
    {
        var calls = new List<ParsedToolCall>();
        var content = new StringBuilder();
        var position = 0;
        while (position < text.Length)
        {
            var start = text.IndexOf(open, position, StringComparison.Ordinal);
            if (start < 0)
            {
                break;
            }

            var bodyStart = start + open.Length;
            var end = text.IndexOf(close, bodyStart, StringComparison.Ordinal);
            var body = end < 0 ? text[bodyStart..] : text[bodyStart..end];
            if (!ToolCallJson.TryParseCalls(body.Trim(), calls))
            {
                return null;
            }

            content.Append(text, position, start - position);
            position = end < 0 ? text.Length : end + close.Length;
        }

        if (calls.Count == 0)
        {
            return null;
        }

        content.Append(text, position, text.Length - position);
        var rest = content.ToString().Trim();
        return new ParsedOutput(rest.Length == 0 ? null : rest, calls);
    }
}
