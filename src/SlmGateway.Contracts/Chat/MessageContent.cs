using System.Text;
using System.Text.Json;

namespace SlmGateway.Contracts.Chat;

/// <summary>The text of a message's <c>content</c>: a string, or the text parts of an array joined.</summary>
public static class MessageContent
{
    /// <summary>The text, and whether the content held nothing but text.</summary>
    public static (string Text, bool OnlyText) TextOf(ChatContent? content)
    {
        if (content is not { Kind: JsonValueKind.Array } parts)
        {
            return (content?.Text ?? string.Empty, true);
        }

        var text = new StringBuilder();
        var onlyText = true;
        foreach (var part in parts.Value.EnumerateArray())
        {
            if (part.TryGetProperty("text", out var value) && value.ValueKind == JsonValueKind.String)
            {
                text.Append(value.GetString());
            }
            else
            {
                onlyText = false;
            }
        }

        return (text.ToString(), onlyText);
    }
}
