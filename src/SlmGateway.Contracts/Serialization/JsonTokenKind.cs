using System.Text.Json;

namespace SlmGateway.Contracts.Serialization;

/// <summary>The kind of JSON value that starts at a reader's token.</summary>
internal static class JsonTokenKind
{
    public static JsonValueKind Of(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => JsonValueKind.Object,
        JsonTokenType.StartArray => JsonValueKind.Array,
        JsonTokenType.String => JsonValueKind.String,
        JsonTokenType.Number => JsonValueKind.Number,
        JsonTokenType.True => JsonValueKind.True,
        JsonTokenType.False => JsonValueKind.False,
        _ => JsonValueKind.Null,
    };
}
