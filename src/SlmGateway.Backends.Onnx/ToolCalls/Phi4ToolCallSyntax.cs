namespace SlmGateway.Backends.Onnx.ToolCalls;

/// <summary>
/// Phi-4-mini: <c>&lt;|tool_call|&gt;[{"name": ..., "arguments": {...}}]&lt;|/tool_call|&gt;</c>. The tags are
/// special tokens that a decoder may drop, so a bare JSON array of calls is read the same way.
/// </summary>
internal sealed class Phi4ToolCallSyntax : IToolCallSyntax
{
    private const string Open = "<|tool_call|>";
    private const string Close = "<|/tool_call|>";

    public string Family => "phi4";

    public ParsedOutput Parse(string text)
    {
        var start = text.IndexOf(Open, StringComparison.Ordinal);
        var calls = new List<ParsedToolCall>();
        if (start < 0)
        {
            var bare = text.Trim();
            return bare.StartsWith('[') && ToolCallJson.TryParseCalls(bare, calls) ? new ParsedOutput(null, calls) : ParsedOutput.Text(text);
        }

        var bodyStart = start + Open.Length;
        var end = text.IndexOf(Close, bodyStart, StringComparison.Ordinal);
        var body = end < 0 ? text[bodyStart..] : text[bodyStart..end];
        if (!ToolCallJson.TryParseCalls(body.Trim(), calls))
        {
            return ParsedOutput.Text(text);
        }

        var rest = (text[..start] + (end < 0 ? string.Empty : text[(end + Close.Length)..])).Trim();
        return new ParsedOutput(rest.Length == 0 ? null : rest, calls);
    }
}
