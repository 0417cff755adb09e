using System.Text;

namespace SlmGateway.Backends.Onnx.ToolCalls;

/// <summary>Qwen2.5 and Hermes: each call is <c>&lt;tool_call&gt;{"name": ..., "arguments": {...}}&lt;/tool_call&gt;</c>, text may surround them.</summary>
internal sealed class HermesToolCallSyntax : IToolCallSyntax
{
    private const string Open = "<tool_call>";
    private const string Close = "</tool_call>";

    public string Family => "qwen";

    public ParsedOutput Parse(string text)
    {
        var calls = new List<ParsedToolCall>();
        var content = new StringBuilder();
        var position = 0;
        while (position < text.Length)
        {
            var start = text.IndexOf(Open, position, StringComparison.Ordinal);
            if (start < 0)
            {
                break;
            }

            var bodyStart = start + Open.Length;
            var end = text.IndexOf(Close, bodyStart, StringComparison.Ordinal);
            var body = end < 0 ? text[bodyStart..] : text[bodyStart..end];
            if (!ToolCallJson.TryParseCalls(body.Trim(), calls))
            {
                return ParsedOutput.Text(text);
            }

            content.Append(text, position, start - position);
            position = end < 0 ? text.Length : end + Close.Length;
        }

        if (calls.Count == 0)
        {
            return ParsedOutput.Text(text);
        }

        content.Append(text, position, text.Length - position);
        var rest = content.ToString().Trim();
        return new ParsedOutput(rest.Length == 0 ? null : rest, calls);
    }
}
