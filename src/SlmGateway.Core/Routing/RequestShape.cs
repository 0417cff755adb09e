using System.Text.Json;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Core.Routing;

/// <summary>How a chat request's <c>tool_choice</c> reads once its tools are taken into account.</summary>
public enum ToolChoiceKind
{
    /// <summary>No tools, or <c>"none"</c>: the answer is text or JSON.</summary>
    None,

    /// <summary>Tools offered and the model may call one.</summary>
    Auto,

    /// <summary><c>"required"</c>: the answer must be a call of some tool.</summary>
    Required,

    /// <summary>A named function: the answer must be a call of that tool.</summary>
    Named,
}

/// <summary>What the answer must be.</summary>
public enum OutputKind
{
    Text,
    ToolCalls,
    JsonObject,
    JsonSchema,
}

/// <summary>
/// A chat request's shape, read once right after validation: its task label, how tools are to be used,
/// and what the answer must be. Routing, local planning, answer validation and capture read this
/// instead of re-reading <c>tool_choice</c> and <c>response_format</c>.
/// </summary>
public sealed record RequestShape(string Task, ToolChoiceKind ToolChoice, string? NamedTool, OutputKind Output)
{
    /// <summary>The conversation ends with tool results: this step answers them, inside an agent's tool loop.</summary>
    public bool FollowsToolResult { get; init; }

    public static RequestShape Of(ChatCompletionRequest request)
    {
        var hasTools = request.Tools is { Count: > 0 };
        var (choice, named) = request.ToolChoice switch
        {
            { Mode: "none" } => (ToolChoiceKind.None, null),
            { Mode: "required" } => (ToolChoiceKind.Required, null),
            { Kind: JsonValueKind.Object } function => (ToolChoiceKind.Named, function.FunctionName),
            _ => (hasTools ? ToolChoiceKind.Auto : ToolChoiceKind.None, (string?)null),
        };
        if (!hasTools)
        {
            choice = ToolChoiceKind.None;
        }

        var output = choice != ToolChoiceKind.None ? OutputKind.ToolCalls : request.ResponseFormat?.Type switch
        {
            "json_schema" => OutputKind.JsonSchema,
            "json_object" => OutputKind.JsonObject,
            _ => OutputKind.Text,
        };
        var task = output switch
        {
            OutputKind.ToolCalls => TaskLabels.ToolCall,
            OutputKind.JsonObject or OutputKind.JsonSchema => TaskLabels.Json,
            _ => TaskLabels.Chat,
        };
        return new RequestShape(task, choice, named, output) { FollowsToolResult = request.Messages is [.., { Role: "tool" or "function" }] };
    }

    /// <summary>The answer must be a tool call (required or a named function).</summary>
    public bool CallRequired => ToolChoice is ToolChoiceKind.Required or ToolChoiceKind.Named;
}
