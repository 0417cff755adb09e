using System.Text.Json;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Routing.Classification;

/// <summary>The structural signals of a chat request, read without any model.</summary>
internal sealed record RequestFeatures(
    int ToolCount,
    string ToolChoice,
    string? ResponseFormat,
    int MessageCount,
    int PromptChars,
    int SystemChars,
    bool HasCode,
    bool TextOnly,
    int? MaxOutputTokens,
    int Choices,
    string LastUserText)
{
    /// <summary>A rough token count (about four characters a token in English) for length rules, before any tokenizer runs.</summary>
    public int ApproxPromptTokens => PromptChars / 4;

    public static RequestFeatures Extract(ChatCompletionRequest request)
    {
        var (promptChars, systemChars, textOnly, hasCode) = (0, 0, true, false);
        var lastUser = string.Empty;
        foreach (var message in request.Messages ?? [])
        {
            var (text, onlyText) = MessageContent.TextOf(message.Content);
            textOnly &= onlyText;
            promptChars += text.Length;
            hasCode |= text.Contains("```", StringComparison.Ordinal);
            if (message.Role is "system" or "developer")
            {
                systemChars += text.Length;
            }
            else if (message.Role == "user")
            {
                lastUser = text;
            }
        }

        foreach (var tool in request.Tools ?? [])
        {
            promptChars += tool.Function?.Parameters?.GetRawText().Length ?? 0;
        }

        return new RequestFeatures(
            request.Tools?.Count ?? 0,
            ToolChoiceOf(request),
            request.ResponseFormat?.Type is "json_object" or "json_schema" ? request.ResponseFormat.Type : null,
            request.Messages?.Count ?? 0,
            promptChars,
            systemChars,
            hasCode,
            textOnly,
            request.MaxCompletionTokens ?? request.MaxTokens,
            request.N ?? 1,
            lastUser);
    }

    private static string ToolChoiceOf(ChatCompletionRequest request) => request.ToolChoice switch
    {
        { ValueKind: JsonValueKind.String } choice => choice.GetString()!,
        { ValueKind: JsonValueKind.Object } => "function",
        _ => request.Tools is { Count: > 0 } ? "auto" : "none",
    };
}
