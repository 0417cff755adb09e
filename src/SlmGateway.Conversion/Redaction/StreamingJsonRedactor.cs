using System.Buffers;
using System.Text.Json;

namespace SlmGateway.Conversion.Redaction;

/// <summary>
/// Redacts a JSON text token by token into a writer, as <see cref="PiiRedactor.Redact(System.Text.Json.Nodes.JsonNode?)"/>
/// redacts a tree and with the same output (every string value redacted, strings holding JSON as
/// JSON, numbers that are card numbers replaced, names kept), without building the tree: the
/// capture writer redacts every captured request, and the tree cost it ~50 KB and most of its time
/// per call. A text whose object repeats a name is refused (<see cref="TryRedact"/> false): JSON
/// readers keep the last of them, which a copy made in one pass cannot do; the caller redacts such
/// a text as a tree. One instance per thread.
/// </summary>
internal sealed class StreamingJsonRedactor(RememberedRedactions strings)
{
    private const int KeptNamesCapacity = 1024;
    private readonly List<HashSet<int>> _namesByDepth = [];

    /// <exception cref="JsonException">The text is not JSON.</exception>
    /// <exception cref="InvalidOperationException">A string is not valid UTF-8 or UTF-16 (an unpaired surrogate).</exception>
    public bool TryRedact(ReadOnlySpan<byte> json, Utf8JsonWriter writer)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    StartNames(reader.CurrentDepth + 1);
                    writer.WriteStartObject();
                    break;
                case JsonTokenType.EndObject:
                    writer.WriteEndObject();
                    break;
                case JsonTokenType.StartArray:
                    writer.WriteStartArray();
                    break;
                case JsonTokenType.EndArray:
                    writer.WriteEndArray();
                    break;
                case JsonTokenType.PropertyName when !WriteName(ref reader, writer):
                    return false;
                case JsonTokenType.String:
                    WriteRedacted(ref reader, writer);
                    break;
                case JsonTokenType.Number when PiiRedactor.IsCard(reader.ValueSpan):
                    writer.WriteStringValue("[CARD]");
                    break;
                case JsonTokenType.Number:
                    writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                    break;
                case JsonTokenType.True or JsonTokenType.False:
                    writer.WriteBooleanValue(reader.TokenType == JsonTokenType.True);
                    break;
                case JsonTokenType.Null:
                    writer.WriteNullValue();
                    break;
            }
        }

        return true;
    }

    private bool WriteName(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        var buffer = ArrayPool<char>.Shared.Rent(reader.ValueSpan.Length);
        try
        {
            var name = buffer.AsSpan(0, reader.CopyString(buffer));

            // Two names with the same hash are taken for a repeat: at worst a text is redacted as a tree.
            if (!NamesAt(reader.CurrentDepth).Add(string.GetHashCode(name)))
            {
                return false;
            }

            writer.WritePropertyName(name);
            return true;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private void WriteRedacted(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        var buffer = ArrayPool<char>.Shared.Rent(reader.ValueSpan.Length);
        try
        {
            writer.WriteStringValue(strings.Redact(buffer.AsSpan(0, reader.CopyString(buffer))));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private void StartNames(int depth)
    {
        var names = NamesAt(depth);
        if (names.Count > KeptNamesCapacity)
        {
            // An object with very many names (a hostile schema) does not leave its table behind.
            _namesByDepth[depth] = [];
            return;
        }

        names.Clear();
    }

    private HashSet<int> NamesAt(int depth)
    {
        while (_namesByDepth.Count <= depth)
        {
            _namesByDepth.Add([]);
        }

        return _namesByDepth[depth];
    }
}
