using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Host.Hosting;

internal static class HealthEndpoints
{
    /// <summary>
    /// <c>/healthz</c>: the process answers. <c>/readyz</c>: every local model has loaded, and at least
    /// one model can be served (a local model, or an upstream whose circuit is not open).
    /// </summary>
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Json(new Dictionary<string, string> { ["status"] = "ok" }));
        app.MapGet("/readyz", (ModelCatalog catalog, IUpstreamHealth upstreams, ILocalModelStatus local) =>
        {
            var states = upstreams.CircuitStates;
            var localStates = local.States;
            var localReady = localStates.Values.All(model => model.State == "ready");
            var servable = localStates.Count > 0 || states.Values.Any(state => state is "closed" or "halfopen");
            var ready = catalog.ModelNames.Count > 0 && localReady && servable;
            var body = new Dictionary<string, object>
            {
                ["status"] = ready ? "ready" : "not_ready",
                ["models"] = catalog.ModelNames.Count,
                ["upstreams"] = states,
                ["local"] = localStates,
            };
            return Results.Json(body, statusCode: ready ? 200 : 503);
        });
        return app;
    }
}
