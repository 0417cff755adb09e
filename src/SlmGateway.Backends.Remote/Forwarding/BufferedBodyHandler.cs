using Microsoft.Net.Http.Headers;

namespace SlmGateway.Backends.Remote.Forwarding;

/// <summary>
/// Sends a request body that the gateway has already read as one in-memory content. YARP's own
/// request content streams the client's body (here a stream over the same bytes) through a pooled
/// copy buffer after flushing the headers, work a body already in memory does not need. YARP does
/// not let a transform replace its content, so the transform leaves the bytes in the request's
/// options and this handler, last before the connection, puts them in its place; YARP's content,
/// never started, is then not waited for.
/// </summary>
internal sealed class BufferedBodyHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public static readonly HttpRequestOptionsKey<ReadOnlyMemory<byte>> Body = new("slmgw.body");

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(Body, out var body))
        {
            var content = new ReadOnlyMemoryContent(body);
            foreach (var (name, values) in request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            {
                if (!name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase))
                {
                    content.Headers.TryAddWithoutValidation(name, values);
                }
            }

            request.Content = content;
        }

        return base.SendAsync(request, cancellationToken);
    }
}
