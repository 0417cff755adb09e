namespace SlmGateway.Backends.Onnx.ToolCalls;

/// <summary>Qwen2.5 and Hermes: each call is <c>&lt;tool_call&gt;{"name": ..., "arguments": {...}}&lt;/tool_call&gt;</c>, text may surround them.</summary>
internal sealed class HermesToolCallSyntax : IToolCallSyntax
{
    public string Family => "qwen";

    private const string Open = "<tool_call>";

    public ParsedOutput Parse(string text) => TaggedToolCalls.Read(text, Open, "</tool_call>") ?? ParsedOutput.Text(text);

    public bool BeginsCall(string text) => text.Contains(Open, StringComparison.Ordinal);
}
