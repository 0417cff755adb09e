using System.Security.Cryptography;
using SlmGateway.Backends.Onnx.ToolCalls;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>The finished output of a buffered generation, read as text or as tool calls.</summary>
internal sealed record LocalAnswer(string? Content, IReadOnlyList<ToolCall>? ToolCalls, string FinishReason)
{
    /// <summary>The text begins a tool call that does not parse (read as content, it would reach the agent as a garbled message).</summary>
    public bool BrokenCall { get; init; }

    public static LocalAnswer From(string text, string finishReason, LocalChatPlan plan, IToolCallSyntax syntax)
    {
        var parsed = plan.Mode switch
        {
            OutputMode.ToolCallsInText => syntax.Parse(text),
            OutputMode.GuidedToolCall => GuidedCall(text),
            _ => ParsedOutput.Text(text),
        };
        if (parsed.Calls.Count == 0)
        {
            return new LocalAnswer(text, null, finishReason) { BrokenCall = plan.Mode == OutputMode.ToolCallsInText && syntax.BeginsCall(text) };
        }

        var calls = (plan.ParallelToolCalls ? parsed.Calls : parsed.Calls.Take(1))
            .Select(call => new ToolCall { Id = NewCallId(), Type = "function", Function = new FunctionCall { Name = call.Name, Arguments = call.Arguments } })
            .ToArray();
        return new LocalAnswer(parsed.Content, calls, "tool_calls");
    }

    /// <summary>Guided output is the call object itself; a cut-off one (token limit) stays text.</summary>
    private static ParsedOutput GuidedCall(string text)
    {
        var calls = new List<ParsedToolCall>();
        return ToolCallJson.TryParseCalls(text, calls) ? new ParsedOutput(null, calls) : ParsedOutput.Text(text);
    }

    private static string NewCallId() => "call_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 24);
}
