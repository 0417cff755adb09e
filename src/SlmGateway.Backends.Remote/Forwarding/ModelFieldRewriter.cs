using System.Text.Json;

namespace SlmGateway.Backends.Remote.Forwarding;

/// <summary>
/// Replaces the value of the top-level <c>model</c> field in a JSON body and leaves every other
/// byte as the client sent it.
/// </summary>
internal static class ModelFieldRewriter
{
    public static ReadOnlyMemory<byte> Rewrite(ReadOnlyMemory<byte> body, string model)
    {
        var reader = new Utf8JsonReader(body.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return body;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isModel = reader.CurrentDepth == 1 && reader.ValueTextEquals("model"u8);
            reader.Read();
            if (isModel && reader.TokenType == JsonTokenType.String)
            {
                // TokenStartIndex points at the opening quote; the raw value excludes both quotes.
                var start = (int)reader.TokenStartIndex;
                var end = start + reader.ValueSpan.Length + 2;
                var replacement = JsonSerializer.SerializeToUtf8Bytes(model, RewriterJsonContext.Default.String);
                var result = new byte[start + replacement.Length + (body.Length - end)];
                body.Span[..start].CopyTo(result);
                replacement.CopyTo(result.AsSpan(start));
                body.Span[end..].CopyTo(result.AsSpan(start + replacement.Length));
                return result;
            }

            reader.TrySkip();
        }

        return body;
    }
}
