using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Contracts.Chat;

/// <summary>
/// A JSON value kept as its text (UTF-8, without the whitespace between tokens): a tool's parameter
/// schema. The remote path only forwards the body it was read from and needs the schema's size at
/// most; the local path reads it as a <see cref="JsonElement"/>, parsed on first use. So a request
/// no longer builds a <see cref="JsonDocument"/> for each tool it offers.
/// </summary>
[JsonConverter(typeof(RawJsonValueConverter))]
public sealed class RawJsonValue
{
    // A box, so that a reader on another thread sees either no element or a whole one.
    private StrongBox<JsonElement>? _element;

    public RawJsonValue(byte[] utf8, JsonValueKind kind)
    {
        Utf8 = utf8;
        Kind = kind;
    }

    public ReadOnlyMemory<byte> Utf8 { get; }

    public JsonValueKind Kind { get; }

    public JsonElement Element
    {
        get
        {
            if (_element is { } parsed)
            {
                return parsed.Value;
            }

            var reader = new Utf8JsonReader(Utf8.Span);
            reader.Read();
            var element = JsonElement.ParseValue(ref reader);
            _element = new StrongBox<JsonElement>(element);
            return element;
        }
    }

    public static RawJsonValue From(JsonElement element) =>
        new(JsonMarshal.GetRawUtf8Value(element).ToArray(), element.ValueKind);
}

/// <summary>
/// Reads a <see cref="RawJsonValue"/> token by token into one array, as the tokens came (strings
/// and names with their escapes), and writes it back as it was read.
/// </summary>
public sealed class RawJsonValueConverter : JsonConverter<RawJsonValue>
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _scratch;

    public override RawJsonValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadValue(ref reader);

    public override void Write(Utf8JsonWriter writer, RawJsonValue value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Utf8.Span, skipInputValidation: true);

    /// <summary>Reads the value that starts at the reader's token, leaving the reader at its last token.</summary>
    internal static RawJsonValue ReadValue(ref Utf8JsonReader reader)
    {
        var text = _scratch ??= new ArrayBufferWriter<byte>(1024);
        text.ResetWrittenCount();
        var kind = JsonTokenKind.Of(reader.TokenType);
        var depth = reader.CurrentDepth;
        var afterValue = false;
        while (true)
        {
            Append(ref reader, text, ref afterValue);
            if (reader.CurrentDepth == depth && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
            {
                return new RawJsonValue(text.WrittenSpan.ToArray(), kind);
            }

            reader.Read();
        }
    }

    /// <summary>One token, with the comma before it when it follows a value in the same object or array.</summary>
    private static void Append(ref Utf8JsonReader reader, ArrayBufferWriter<byte> text, ref bool afterValue)
    {
        var token = reader.TokenType;
        if (token == JsonTokenType.Comment)
        {
            return;
        }

        if (afterValue && token is not (JsonTokenType.EndObject or JsonTokenType.EndArray))
        {
            Write(text, ","u8);
        }

        switch (token)
        {
            case JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.EndObject or JsonTokenType.EndArray:
                Write(text, Bracket(token));
                break;
            case JsonTokenType.PropertyName:
                WriteQuoted(ref reader, text, "\":"u8);
                break;
            case JsonTokenType.String:
                WriteQuoted(ref reader, text, "\""u8);
                break;
            default:
                WriteValue(ref reader, text);
                break;
        }

        afterValue = token is not (JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.PropertyName);
    }

    private static ReadOnlySpan<byte> Bracket(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "{"u8,
        JsonTokenType.StartArray => "["u8,
        JsonTokenType.EndObject => "}"u8,
        _ => "]"u8,
    };

    private static void WriteQuoted(ref Utf8JsonReader reader, ArrayBufferWriter<byte> text, ReadOnlySpan<byte> closing)
    {
        Write(text, "\""u8);
        WriteValue(ref reader, text);
        Write(text, closing);
    }

    /// <summary>The token's own bytes: a string's or a name's with their escapes, a number's or a literal's as written.</summary>
    private static void WriteValue(ref Utf8JsonReader reader, ArrayBufferWriter<byte> text)
    {
        if (reader.HasValueSequence)
        {
            foreach (var segment in reader.ValueSequence)
            {
                Write(text, segment.Span);
            }
        }
        else
        {
            Write(text, reader.ValueSpan);
        }
    }

    private static void Write(ArrayBufferWriter<byte> text, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(text.GetSpan(bytes.Length));
        text.Advance(bytes.Length);
    }
}
