using System.Text.Json;
using System.Text.Json.Serialization;

namespace SlmGateway.Contracts.Chat;

/// <summary>
/// A message's <c>content</c>: a JSON string, by far the most common, kept as a string; anything
/// else kept as its text (<see cref="RawJsonValue"/>), and an array of content parts also read into
/// <see cref="Parts"/>. Neither builds a <see cref="JsonDocument"/>, and every reader of the text
/// gets the same strings.
/// </summary>
[JsonConverter(typeof(ChatContentConverter))]
public readonly struct ChatContent
{
    public ChatContent(string text) => Text = text;

    public ChatContent(RawJsonValue value)
    {
        Raw = value;
        Parts = value.Kind == JsonValueKind.Array ? ContentPart.ReadAll(value.Utf8.Span) : null;
    }

    /// <summary>The content when it is a string.</summary>
    public string? Text { get; }

    /// <summary>The content when it is not a string, as it came.</summary>
    public RawJsonValue? Raw { get; }

    /// <summary>The parts, when the content is an array.</summary>
    public IReadOnlyList<ContentPart>? Parts { get; }

    public JsonValueKind Kind => Text is null ? Raw?.Kind ?? JsonValueKind.Null : JsonValueKind.String;

    public static implicit operator ChatContent(string text) => new(text);
}

/// <summary>Reads and writes <see cref="ChatContent"/> as the JSON value it came from.</summary>
public sealed class ChatContentConverter : JsonConverter<ChatContent>
{
    public override ChatContent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? new ChatContent(reader.GetString()!) : new ChatContent(RawJsonValueConverter.ReadValue(ref reader));

    public override void Write(Utf8JsonWriter writer, ChatContent value, JsonSerializerOptions options)
    {
        if (value.Text is { } text)
        {
            writer.WriteStringValue(text);
        }
        else
        {
            writer.WriteRawValue(value.Raw!.Utf8.Span, skipInputValidation: true);
        }
    }
}
