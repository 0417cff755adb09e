using System.Text.Json;
using System.Text.Json.Serialization;

namespace SlmGateway.Contracts.Chat;

/// <summary>
/// A message's <c>content</c>: a JSON string, by far the most common, kept as a string; anything
/// else (an array of content parts, or a value of a type the validator refuses) as a
/// <see cref="JsonElement"/>. A string read straight into a string spares each message a
/// <see cref="JsonDocument"/> of its own and every later reader a fresh copy of the text.
/// </summary>
[JsonConverter(typeof(ChatContentConverter))]
public readonly struct ChatContent
{
    public ChatContent(string text) => Text = text;

    public ChatContent(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            Text = value.GetString();
        }
        else
        {
            Value = value;
        }
    }

    /// <summary>The content when it is a string.</summary>
    public string? Text { get; }

    /// <summary>The content when it is not a string; undefined when it is.</summary>
    public JsonElement Value { get; }

    public JsonValueKind Kind => Text is null ? Value.ValueKind : JsonValueKind.String;

    public static implicit operator ChatContent(string text) => new(text);
}

/// <summary>Reads and writes <see cref="ChatContent"/> as the JSON value it came from.</summary>
public sealed class ChatContentConverter : JsonConverter<ChatContent>
{
    public override ChatContent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? new ChatContent(reader.GetString()!) : new ChatContent(JsonElement.ParseValue(ref reader));

    public override void Write(Utf8JsonWriter writer, ChatContent value, JsonSerializerOptions options)
    {
        if (value.Text is { } text)
        {
            writer.WriteStringValue(text);
        }
        else
        {
            value.Value.WriteTo(writer);
        }
    }
}
