using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using SlmGateway.Contracts.Errors;

namespace SlmGateway.Contracts.Serialization;

/// <summary>Parses a request body into a wire type, turning every JSON problem into a 400 that names the field.</summary>
public static class WireParser
{
    private const string ConversionFailure = "The JSON value could not be converted";

    public static bool TryParse<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> typeInfo, out T? value, out GatewayError? error)
        where T : class
    {
        value = null;
        error = null;
        if (body.IsEmpty)
        {
            error = GatewayError.InvalidRequest("The request body is empty; a JSON object is required.");
            return false;
        }

        try
        {
            value = JsonSerializer.Deserialize(body, typeInfo);
        }
        catch (JsonException ex)
        {
            error = FromJsonException(ex);
            return false;
        }

        if (value is null)
        {
            error = GatewayError.InvalidRequest("The request body must be a JSON object, not null.");
            return false;
        }

        return true;
    }

    private static GatewayError FromJsonException(JsonException ex)
    {
        var param = ParamFromPath(ex.Path);
        if (ex.Message.StartsWith(ConversionFailure, StringComparison.Ordinal))
        {
            return param is null
                ? GatewayError.InvalidRequest("The request body must be a JSON object.")
                : GatewayError.InvalidRequest($"Invalid type for '{param}'.", param, "invalid_type");
        }

        var position = ex.BytePositionInLine is { } column ? $" (line {ex.LineNumber + 1}, column {column + 1})" : string.Empty;
        return GatewayError.InvalidRequest($"We could not parse the JSON body of your request{position}.", param, "invalid_json");
    }

    private static string? ParamFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }
}
