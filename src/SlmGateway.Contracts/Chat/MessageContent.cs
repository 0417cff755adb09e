using System.Text;
using System.Text.Json;

namespace SlmGateway.Contracts.Chat;

/// <summary>The text of a message's <c>content</c>: a string, or the text parts of an array joined.</summary>
public static class MessageContent
{
    /// <summary>The text, and whether the content held nothing but text.</summary>
    public static (string Text, bool OnlyText) TextOf(JsonElement? content)
    {
        if (content is not { } element || element.ValueKind != JsonValueKind.Array)
        {
            return (content is { ValueKind: JsonValueKind.String } s ? s.GetString()! : string.Empty, true);
        }

        var text = new StringBuilder();
        var onlyText = true;
        foreach (var part in element.EnumerateArray())
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
