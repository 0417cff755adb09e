namespace SlmGateway.Backends.Onnx.ToolCalls;

/// <summary>
/// Llama 3.1-3.3: the whole answer is a call, <c>{"name": ..., "parameters": {...}}</c>, optionally
/// after <c>&lt;|python_tag|&gt;</c>; several calls are separated by <c>;</c> or new lines.
/// </summary>
internal sealed class Llama3ToolCallSyntax : IToolCallSyntax
{
    private const string PythonTag = "<|python_tag|>";

    public string Family => "llama3";

    public bool BeginsCall(string text)
    {
        var body = text.TrimStart();
        return body.StartsWith(PythonTag, StringComparison.Ordinal) || body.StartsWith('{') || body.StartsWith('[');
    }

    public ParsedOutput Parse(string text)
    {
        var body = text.Trim();
        if (body.StartsWith(PythonTag, StringComparison.Ordinal))
        {
            body = body[PythonTag.Length..].Trim();
        }

        if (body.Length == 0 || body[0] is not ('{' or '['))
        {
            return ParsedOutput.Text(text);
        }

        var calls = new List<ParsedToolCall>();
        if (ToolCallJson.TryParseCalls(body, calls))
        {
            return new ParsedOutput(null, calls);
        }

        foreach (var part in body.Split([";", "\n"], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!ToolCallJson.TryParseCalls(part, calls))
            {
                return ParsedOutput.Text(text);
            }
        }

        return new ParsedOutput(null, calls);
    }
}
