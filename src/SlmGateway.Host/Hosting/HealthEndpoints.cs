using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Host.Hosting;

internal static class HealthEndpoints
{
    /// <summary>
    /// <c>/healthz</c>: the process answers. <c>/readyz</c>: configuration is loaded and at least one
    /// model can be served through an upstream whose circuit is not open.
    /// </summary>
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Json(new Dictionary<string, string> { ["status"] = "ok" }));
        app.MapGet("/readyz", (ModelCatalog catalog, IUpstreamHealth upstreams) =>
        {
            var states = upstreams.CircuitStates;
            var ready = catalog.ModelNames.Count > 0 && states.Values.Any(state => state is "closed" or "halfopen");
            var body = new Dictionary<string, object>
            {
                ["status"] = ready ? "ready" : "not_ready",
                ["models"] = catalog.ModelNames.Count,
                ["upstreams"] = states,
            };
            return Results.Json(body, statusCode: ready ? 200 : 503);
        });
        return app;
    }
}
