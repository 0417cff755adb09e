using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SlmGateway.Backends.Remote.Forwarding;

/// <summary>
/// Tells YARP, for the length of one forward, that the client's request has no body left to copy:
/// the gateway has read it already and <see cref="BufferedBodyHandler"/> sends the bytes, so YARP
/// sets up no streamed request content of its own.
/// </summary>
internal sealed class BodyAlreadyRead : IHttpRequestBodyDetectionFeature
{
    private static readonly BodyAlreadyRead Instance = new();

    private BodyAlreadyRead()
    {
    }

    public bool CanHaveBody => false;

    /// <summary>Installs the feature and returns the one it replaced, to put back with <see cref="Restore"/>.</summary>
    public static IHttpRequestBodyDetectionFeature? Install(HttpContext context)
    {
        var original = context.Features.Get<IHttpRequestBodyDetectionFeature>();
        context.Features.Set<IHttpRequestBodyDetectionFeature>(Instance);
        return original;
    }

    public static void Restore(HttpContext context, IHttpRequestBodyDetectionFeature? original) =>
        context.Features.Set(original);
}
