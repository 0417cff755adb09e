using System.Text;
using System.Text.Json;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Routing.Classification;

/// <summary>The signals of a chat request that need no model: its shape, and the text of what it asks.</summary>
internal sealed record RequestFeatures(
    int ToolCount,
    string ToolChoice,
    string? ResponseFormat,
    int PromptChars,
    int SystemChars,
    bool TextOnly,
    int? MaxOutputTokens,
    int Choices,
    string LastUserText,
    string ToolResultText,
    IReadOnlyList<ToolDefinition> Tools)
{
    // A tool result is read for what it says about the next step, not in full; a tool by its name and the start of its description.
    private const int ToolResultChars = 400;
    private const int ToolDescriptionChars = 200;

    /// <summary>A rough token count (about four characters a token in English) for length rules, before any tokenizer runs.</summary>
    public int ApproxPromptTokens => PromptChars / 4;

    /// <summary>The conversation ends with tool results: this step answers them.</summary>
    public bool FollowsToolResult => ToolResultText.Length > 0;

    public bool ToolsOffered => ToolCount > 0 && ToolChoice != "none";

    /// <summary>What the request asks now: the last user turn, and for a step after tool calls, what their results say.</summary>
    public string Ask => FollowsToolResult ? $"{LastUserText}\n{ToolResultText}" : LastUserText;

    public static RequestFeatures Extract(ChatCompletionRequest request)
    {
        var (promptChars, systemChars, textOnly) = (0, 0, true);
        var lastUser = string.Empty;
        var toolResults = new StringBuilder();
        foreach (var message in request.Messages ?? [])
        {
            var (text, onlyText) = MessageContent.TextOf(message.Content);
            textOnly &= onlyText;
            promptChars += text.Length;
            switch (message.Role)
            {
                case "system" or "developer":
                    systemChars += text.Length;
                    break;
                case "user":
                    lastUser = text;
                    toolResults.Clear();
                    break;
                case "tool" or "function":
                    AppendBounded(toolResults, text);
                    break;
                case "assistant":
                    toolResults.Clear();
                    break;
            }
        }

        foreach (var tool in request.Tools ?? [])
        {
            // The schema's size in UTF-8 bytes.
            promptChars += tool.Function?.Parameters?.Utf8.Length ?? 0;
        }

        return new RequestFeatures(
            request.Tools?.Count ?? 0,
            ToolChoiceOf(request),
            request.ResponseFormat?.Type is "json_object" or "json_schema" ? request.ResponseFormat.Type : null,
            promptChars,
            systemChars,
            textOnly,
            request.MaxCompletionTokens ?? request.MaxTokens,
            request.N ?? 1,
            lastUser,
            toolResults.ToString(),
            request.Tools ?? []);
    }

    /// <summary>What a tool does, in words: its name with spaces for underscores, and the start of its description.</summary>
    public static string ToolText(ToolDefinition tool)
    {
        var name = (tool.Function?.Name ?? string.Empty).Replace('_', ' ');
        var description = tool.Function?.Description ?? string.Empty;
        return $"{name}: {description[..Math.Min(description.Length, ToolDescriptionChars)]}";
    }

    private static void AppendBounded(StringBuilder results, string text)
    {
        var room = ToolResultChars - results.Length;
        if (room <= 0)
        {
            return;
        }

        if (results.Length > 0)
        {
            results.Append('\n');
        }

        results.Append(text.AsSpan(0, Math.Min(text.Length, room)));
    }

    private static string ToolChoiceOf(ChatCompletionRequest request) => request.ToolChoice switch
    {
        { Mode: { } mode } => mode,
        { Kind: JsonValueKind.Object } => "function",
        _ => request.Tools is { Count: > 0 } ? "auto" : "none",
    };
}
