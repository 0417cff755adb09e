using System.Text.Json;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Contracts.Chat;

/// <summary>
/// One item of an array <c>content</c>: its JSON kind (a part is an object), and its <c>type</c> and
/// <c>text</c> when they are strings. Other fields (an image's URL) stay only in the content's text.
/// </summary>
public readonly record struct ContentPart(JsonValueKind Kind, string? Type, string? Text)
{
    /// <summary>The parts of a content array, read from its text.</summary>
    public static ContentPart[] ReadAll(ReadOnlySpan<byte> array)
    {
        var reader = new Utf8JsonReader(array);
        reader.Read();
        var parts = new List<ContentPart>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            parts.Add(reader.TokenType == JsonTokenType.StartObject ? ReadObject(ref reader) : new ContentPart(JsonTokenKind.Of(reader.TokenType), null, null));
            reader.Skip();
        }

        return [.. parts];
    }

    private static ContentPart ReadObject(ref Utf8JsonReader reader)
    {
        var (type, text) = ((string?)null, (string?)null);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var (isType, isText) = (reader.ValueTextEquals("type"u8), reader.ValueTextEquals("text"u8));
            reader.Read();
            if (reader.TokenType == JsonTokenType.String && (isType || isText))
            {
                (type, text) = isType ? (reader.GetString(), text) : (type, reader.GetString());
            }

            reader.Skip();
        }

        return new ContentPart(JsonValueKind.Object, type, text);
    }
}
