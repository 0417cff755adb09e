using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SlmGateway.Core.Diagnostics;
using SlmGateway.Core.Execution;

namespace SlmGateway.Host.Diagnostics;

internal static class GatewayTelemetry
{
    private const string OtlpEndpointKey = "SlmGateway:Telemetry:OtlpEndpoint";

    /// <summary>
    /// Metrics always, the gateway's and the runtime's (Prometheus scrape at <c>/metrics</c>; OTLP too when <c>SlmGateway:Telemetry:OtlpEndpoint</c>
    /// is set); traces only with an OTLP endpoint, since creating spans nobody exports costs every request.
    /// </summary>
    public static WebApplicationBuilder AddGatewayTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(services =>
        {
            var metrics = new GatewayMetrics();
            var local = services.GetRequiredService<ILocalModelStatus>();
            var upstreams = services.GetRequiredService<IUpstreamHealth>();
            metrics.ObserveState(
                () => local.States.Select(pair => new Measurement<long>(pair.Value.Active, new KeyValuePair<string, object?>("gen_ai.request.model", pair.Key))),
                () => local.States.Select(pair => new Measurement<long>(pair.Value.Queued, new KeyValuePair<string, object?>("gen_ai.request.model", pair.Key))),
                () => upstreams.CircuitStates.Select(pair => new Measurement<long>(pair.Value is "open" or "isolated" ? 1 : 0, new KeyValuePair<string, object?>("slmgw.upstream", pair.Key))));
            return metrics;
        });
        builder.Services.AddSingleton<RequestMetrics>();

        var otlp = OtlpEndpoint(builder.Configuration[OtlpEndpointKey]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("slmgateway"))
            .WithMetrics(metrics =>
            {
                // .NET's own meter: GC, allocation, thread pool and JIT figures, read only when scraped.
                metrics.AddMeter(GatewayMetrics.MeterName, "System.Runtime").AddPrometheusExporter();
                if (otlp is not null)
                {
                    metrics.AddOtlpExporter(options => options.Endpoint = otlp);
                }
            });
        if (otlp is not null)
        {
            telemetry.WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddOtlpExporter(options => options.Endpoint = otlp));
        }

        return builder;
    }

    /// <summary>The configured endpoint; none when empty, and a start-up error naming the setting when it is not an http(s) URL.</summary>
    private static Uri? OtlpEndpoint(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new OptionsValidationException(OtlpEndpointKey, typeof(Uri), [$"{OtlpEndpointKey} '{value}' is not an absolute http(s) URL (for example http://collector:4317)."]);
    }

    public static WebApplication MapMetricsEndpoint(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
