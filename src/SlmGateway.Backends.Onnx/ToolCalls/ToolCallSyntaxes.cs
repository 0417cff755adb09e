namespace SlmGateway.Backends.Onnx.ToolCalls;

/// <summary>The supported model families, by the name used in configuration.</summary>
internal static class ToolCallSyntaxes
{
    private static readonly IToolCallSyntax[] All = [new HermesToolCallSyntax(), new Llama3ToolCallSyntax(), new Phi4ToolCallSyntax()];

    public static IEnumerable<string> Families => All.Select(syntax => syntax.Family);

    public static IToolCallSyntax? Find(string family) =>
        Array.Find(All, syntax => string.Equals(syntax.Family, family, StringComparison.OrdinalIgnoreCase));
}
