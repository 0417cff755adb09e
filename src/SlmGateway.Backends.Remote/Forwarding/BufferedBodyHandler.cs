namespace SlmGateway.Backends.Remote.Forwarding;

/// <summary>
/// Attaches the request body that the gateway has already read, as one in-memory content. YARP
/// would stream the client's body (here a stream over the same bytes) through a pooled copy buffer
/// after flushing the headers, and it does not let a transform replace its content; so YARP is told
/// the request has no body (<see cref="BodyAlreadyRead"/>), the transform leaves the content in the
/// request's options, and this handler, last before the connection, puts it in place.
/// </summary>
internal sealed class BufferedBodyHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public static readonly HttpRequestOptionsKey<HttpContent> Body = new("slmgw.body");

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(Body, out var body))
        {
            request.Content = body;
        }

        return base.SendAsync(request, cancellationToken);
    }
}
