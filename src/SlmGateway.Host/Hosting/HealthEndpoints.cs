using Microsoft.Extensions.Options;
using SlmGateway.Conversion;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Host.Hosting;

internal static class HealthEndpoints
{
    /// <summary>
    /// <c>/healthz</c>: the process answers. <c>/readyz</c>: every local model has loaded, and at least
    /// one model can be served (a local model, or an upstream whose circuit is not open); each
    /// dependency's state, the trace store's too (failing: <c>degraded</c>, or 503 when
    /// <c>Loop:Capture:RequiredForReadiness</c>). While the gateway stops, 503 <c>stopping</c>.
    /// </summary>
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Json(new Dictionary<string, string> { ["status"] = "ok" }));
        app.MapGet("/readyz", (ModelCatalog catalog, IUpstreamHealth upstreams, ILocalModelStatus local, TraceStoreHealth store, IOptionsMonitor<LoopOptions> loop, GracefulShutdown shutdown) =>
        {
            if (shutdown.Stopping)
            {
                return Results.Json(new Dictionary<string, object> { ["status"] = "stopping" }, statusCode: 503);
            }

            var states = upstreams.CircuitStates;
            var localStates = local.States;
            var localReady = localStates.Values.All(model => model.State == "ready");
            var servable = localStates.Count > 0 || states.Values.Any(state => state is "closed" or "halfopen");
            var storeError = store.Error;
            var ready = catalog.ModelNames.Count > 0 && localReady && servable && (storeError is null || !loop.CurrentValue.Capture.RequiredForReadiness);
            var body = new Dictionary<string, object>
            {
                ["status"] = !ready ? "not_ready" : storeError is null ? "ready" : "degraded",
                ["models"] = catalog.ModelNames.Count,
                ["upstreams"] = states,
                ["local"] = localStates,
                ["trace_store"] = storeError is null ? new Dictionary<string, string> { ["state"] = "ok" } : new Dictionary<string, string> { ["state"] = "failing", ["error"] = storeError },
            };
            return Results.Json(body, statusCode: ready ? 200 : 503);
        });
        return app;
    }
}
