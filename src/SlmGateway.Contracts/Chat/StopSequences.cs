using System.Text.Json;
using System.Text.Json.Serialization;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Contracts.Chat;

/// <summary>
/// A request's <c>stop</c>: one string or an array of them, read straight into strings. A value of
/// another type keeps only its <see cref="Kind"/>, and an array remembers how many of its items
/// were not strings, so the validator can refuse either.
/// </summary>
[JsonConverter(typeof(StopSequencesConverter))]
public sealed class StopSequences
{
    public StopSequences(JsonValueKind kind, IReadOnlyList<string> sequences, int itemCount)
    {
        Kind = kind;
        Sequences = sequences;
        ItemCount = itemCount;
    }

    /// <summary><see cref="JsonValueKind.String"/> or <see cref="JsonValueKind.Array"/> when well formed, otherwise the type that came.</summary>
    public JsonValueKind Kind { get; }

    /// <summary>The strings, in order: the one string, or the array's string items.</summary>
    public IReadOnlyList<string> Sequences { get; }

    /// <summary>The number of items of an array, strings or not (1 for a string).</summary>
    public int ItemCount { get; }

    /// <summary>True when every item was a string (always, for a string).</summary>
    public bool AllStrings => Sequences.Count == ItemCount;
}

/// <summary>Reads <see cref="StopSequences"/> into strings and writes them back: a string as a string, an array as an array.</summary>
public sealed class StopSequencesConverter : JsonConverter<StopSequences>
{
    public override StopSequences Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return new StopSequences(JsonValueKind.String, [reader.GetString()!], 1);
            case JsonTokenType.StartArray:
                var sequences = new List<string>();
                var items = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items++;
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        sequences.Add(reader.GetString()!);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                return new StopSequences(JsonValueKind.Array, sequences, items);
            default:
                var kind = JsonTokenKind.Of(reader.TokenType);
                reader.Skip();
                return new StopSequences(kind, [], 0);
        }
    }

    public override void Write(Utf8JsonWriter writer, StopSequences value, JsonSerializerOptions options)
    {
        if (value.Kind == JsonValueKind.String)
        {
            writer.WriteStringValue(value.Sequences[0]);
            return;
        }

        writer.WriteStartArray();
        foreach (var sequence in value.Sequences)
        {
            writer.WriteStringValue(sequence);
        }

        writer.WriteEndArray();
    }
}
