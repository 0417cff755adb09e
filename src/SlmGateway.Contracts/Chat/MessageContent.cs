using System.Text;

namespace SlmGateway.Contracts.Chat;

/// <summary>The text of a message's <c>content</c>: a string, or the text parts of an array joined.</summary>
public static class MessageContent
{
    /// <summary>The text, and whether the content held nothing but text.</summary>
    public static (string Text, bool OnlyText) TextOf(ChatContent? content)
    {
        if (content?.Parts is not { } parts)
        {
            return (content?.Text ?? string.Empty, true);
        }

        if (parts is [{ Text: { } only }])
        {
            return (only, true);
        }

        var text = new StringBuilder();
        var onlyText = true;
        foreach (var part in parts)
        {
            if (part.Text is { } value)
            {
                text.Append(value);
            }
            else
            {
                onlyText = false;
            }
        }

        return (text.ToString(), onlyText);
    }
}
