namespace SlmGateway.Backends.Onnx.ToolCalls;

/// <summary>How one model family writes tool calls in its output, read back into OpenAI's shape.</summary>
internal interface IToolCallSyntax
{
    string Family { get; }

    /// <summary>Splits generated text into free content and tool calls; text without a well-formed call is all content.</summary>
    ParsedOutput Parse(string text);

    /// <summary>Whether text that <see cref="Parse"/> read as content begins a call all the same: a call the model wrote wrong.</summary>
    bool BeginsCall(string text);
}

/// <summary>A tool call read from model output: the function name and its arguments as JSON text.</summary>
internal sealed record ParsedToolCall(string Name, string Arguments);

/// <summary>Model output as content (null when there is none) and tool calls.</summary>
internal sealed record ParsedOutput(string? Content, IReadOnlyList<ParsedToolCall> Calls)
{
    public static ParsedOutput Text(string text) => new(text.Length == 0 ? null : text, []);
}
