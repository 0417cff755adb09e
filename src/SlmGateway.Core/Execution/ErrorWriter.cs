using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SlmGateway.Contracts.Errors;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Core.Execution;

/// <summary>Writes OpenAI-shaped errors: as a JSON response before commit, as an SSE event inside a stream.</summary>
public static class ErrorWriter
{
    private static readonly byte[] SseDataPrefix = "data: "u8.ToArray();
    private static readonly byte[] SseEventEnd = "\n\n"u8.ToArray();

    public static async Task WriteAsync(HttpResponse response, GatewayError error, TimeSpan? retryAfter = null)
    {
        response.StatusCode = error.StatusCode;
        response.ContentType = "application/json";
        if (retryAfter is { } delay)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        await JsonSerializer.SerializeAsync(response.Body, new OpenAiErrorEnvelope(error.Error), WireJsonContext.Default.OpenAiErrorEnvelope);
    }

    public static async Task WriteSseEventAsync(HttpResponse response, OpenAiError error)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new OpenAiErrorEnvelope(error), WireJsonContext.Default.OpenAiErrorEnvelope);
        await response.Body.WriteAsync(SseDataPrefix);
        await response.Body.WriteAsync(payload);
        await response.Body.WriteAsync(SseEventEnd);
        await response.Body.FlushAsync();
    }
}
