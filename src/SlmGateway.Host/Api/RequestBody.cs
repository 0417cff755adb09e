using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using SlmGateway.Contracts.Errors;

namespace SlmGateway.Host.Api;

/// <summary>A request body read into a pooled buffer; dispose to return the buffer.</summary>
internal sealed class RequestBody : IDisposable
{
    private const int InitialBufferBytes = 16 * 1024;
    private byte[]? _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Memory = buffer.AsMemory(0, length);
    }

    public ReadOnlyMemory<byte> Memory { get; }

    /// <summary>Reads a JSON body of at most <paramref name="limit"/> bytes, or says which 4xx it deserves.</summary>
    public static async ValueTask<(RequestBody? Body, GatewayError? Error)> ReadAsync(HttpRequest request, long limit)
    {
        if (!IsJson(request.ContentType))
        {
            return (null, GatewayError.UnsupportedMediaType(request.ContentType));
        }

        if (request.ContentLength > limit)
        {
            return (null, GatewayError.PayloadTooLarge(limit));
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        var capacity = (int)Math.Min(request.ContentLength ?? InitialBufferBytes, limit) + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(capacity);
        var length = 0;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted)) > 0)
            {
                length += read;
                if (length > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (null, GatewayError.PayloadTooLarge(limit));
                }

                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException or OperationCanceledException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, GatewayError.InvalidRequest("The request body could not be read completely."));
        }

        return (new RequestBody(buffer, length), null);
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));
}
