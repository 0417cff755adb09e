namespace SlmGateway.Backends.Onnx.ToolCalls;

/// <summary>Qwen2.5 and Hermes: each call is <c>&lt;tool_call&gt;{"name": ..., "arguments": {...}}&lt;/tool_call&gt;</c>, text may surround them.</summary>
internal sealed class HermesToolCallSyntax : IToolCallSyntax
{
    public string Family => "qwen";

    public ParsedOutput Parse(string text) => TaggedToolCalls.Read(text, "<tool_call>", "</tool_call>") ?? ParsedOutput.Text(text);
}
