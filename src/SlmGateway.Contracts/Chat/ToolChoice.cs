using System.Text.Json;
using System.Text.Json.Serialization;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Contracts.Chat;

/// <summary>
/// A request's <c>tool_choice</c>, read as it streams past: a mode (<c>"none"</c>, <c>"auto"</c>,
/// <c>"required"</c>, or whatever string came, for the validator to judge) or an object naming one
/// function. A value of another JSON type keeps only its <see cref="Kind"/>, so the validator can
/// refuse it. Read this way, a request that sets <c>tool_choice</c> builds no <see cref="JsonDocument"/>.
/// </summary>
[JsonConverter(typeof(ToolChoiceConverter))]
public sealed class ToolChoice
{
    private ToolChoice(JsonValueKind kind, string? mode, string? functionName)
    {
        Kind = kind;
        Mode = mode;
        FunctionName = functionName;
    }

    /// <summary><see cref="JsonValueKind.String"/> for a mode, <see cref="JsonValueKind.Object"/> for a named function, otherwise the type that came.</summary>
    public JsonValueKind Kind { get; }

    /// <summary>The string when <c>tool_choice</c> is one.</summary>
    public string? Mode { get; }

    /// <summary><c>function.name</c> when <c>tool_choice</c> is an object with a string there.</summary>
    public string? FunctionName { get; }

    public static ToolChoice FromMode(string mode) => new(JsonValueKind.String, mode, null);

    public static ToolChoice ForFunction(string? name) => new(JsonValueKind.Object, null, name);

    public static ToolChoice Other(JsonValueKind kind) => new(kind, null, null);
}

/// <summary>
/// Reads <see cref="ToolChoice"/> token by token (only <c>function.name</c> of an object is kept) and
/// writes a mode as its string and a named function in OpenAI's form.
/// </summary>
public sealed class ToolChoiceConverter : JsonConverter<ToolChoice>
{
    public override ToolChoice Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return ToolChoice.FromMode(reader.GetString()!);
            case JsonTokenType.StartObject:
                return ToolChoice.ForFunction(ReadFunctionName(ref reader));
            default:
                var kind = JsonTokenKind.Of(reader.TokenType);
                reader.Skip();
                return ToolChoice.Other(kind);
        }
    }

    public override void Write(Utf8JsonWriter writer, ToolChoice value, JsonSerializerOptions options)
    {
        if (value.Kind == JsonValueKind.String)
        {
            writer.WriteStringValue(value.Mode);
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("type"u8, "function"u8);
        writer.WriteStartObject("function"u8);
        writer.WriteString("name"u8, value.FunctionName);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Reads an object to its end and gives the string at <c>function.name</c>, if there is one.</summary>
    private static string? ReadFunctionName(ref Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        string? name = null;
        if (MoveToProperty(ref reader, "function"u8) && reader.TokenType == JsonTokenType.StartObject
            && MoveToProperty(ref reader, "name"u8) && reader.TokenType == JsonTokenType.String)
        {
            name = reader.GetString();
        }

        while (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != depth)
        {
            reader.Skip();
            reader.Read();
        }

        return name;
    }

    /// <summary>Moves to the value of <paramref name="key"/> in the object the reader is in, or to the object's end (false).</summary>
    private static bool MoveToProperty(ref Utf8JsonReader reader, ReadOnlySpan<byte> key)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var found = reader.ValueTextEquals(key);
            reader.Read();
            if (found)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }
}
