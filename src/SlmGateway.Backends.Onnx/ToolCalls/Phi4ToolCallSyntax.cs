namespace SlmGateway.Backends.Onnx.ToolCalls;

/// <summary>
/// Phi-4-mini: <c>&lt;|tool_call|&gt;[{"name": ..., "arguments": {...}}]&lt;|/tool_call|&gt;</c>. The tags are
/// special tokens that a decoder may drop, so a bare JSON array of calls is read the same way.
/// </summary>
internal sealed class Phi4ToolCallSyntax : IToolCallSyntax
{
    private const string Open = "<|tool_call|>";

    public string Family => "phi4";

    public bool BeginsCall(string text) => text.Contains(Open, StringComparison.Ordinal) || text.TrimStart().StartsWith('[');

    public ParsedOutput Parse(string text)
    {
        if (TaggedToolCalls.Read(text, Open, "<|/tool_call|>") is { } tagged)
        {
            return tagged;
        }

        var calls = new List<ParsedToolCall>();
        var bare = text.Trim();
        return bare.StartsWith('[') && ToolCallJson.TryParseCalls(bare, calls) ? new ParsedOutput(null, calls) : ParsedOutput.Text(text);
    }
}
