using SlmGateway.Conversion.Capture;
using SlmGateway.Host.Security;

namespace SlmGateway.Host.Hosting;

internal static class GatewayPipeline
{
    /// <summary>
    /// The request envelope (trace, limits on the request line and headers, OpenAI-shaped answers for
    /// anything the framework would otherwise answer itself, the request-completion log event and
    /// metrics), then client keys and their rate limits, then capture (after the key check, so capture
    /// can be switched per key).
    /// </summary>
    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        app.UseMiddleware<RequestEnvelope>();
        app.UseMiddleware<ClientKeyMiddleware>();
        app.UseMiddleware<CaptureMiddleware>();
        return app;
    }
}
