using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlmGateway.Conversion.Capture;

/// <summary>
/// Parses JSON into a mutable tree the way JSON parsers commonly read duplicate keys: the last one
/// wins. <see cref="JsonNode.Parse(string, JsonNodeOptions?, JsonDocumentOptions)"/> accepts duplicates
/// and then throws when the object is first touched, which once lost whole capture batches.
/// </summary>
internal static class JsonTree
{
    /// <exception cref="JsonException">The text is not JSON.</exception>
    public static JsonNode? Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        return From(JsonElement.ParseValue(ref reader));
    }

    /// <exception cref="JsonException">The text is not JSON.</exception>
    public static JsonNode? Parse(string json) => Parse(System.Text.Encoding.UTF8.GetBytes(json));

    private static JsonNode? From(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ObjectFrom(element),
        JsonValueKind.Array => new JsonArray(element.EnumerateArray().Select(From).ToArray()),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => JsonValue.Create(element),
    };

    private static JsonObject ObjectFrom(JsonElement element)
    {
        var result = new JsonObject();
        foreach (var property in element.EnumerateObject())
        {
            result[property.Name] = From(property.Value);
        }

        return result;
    }
}
