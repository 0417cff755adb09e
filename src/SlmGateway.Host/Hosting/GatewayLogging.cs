using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using SlmGateway.Core.Execution;

namespace SlmGateway.Host.Hosting;

internal static class GatewayLogging
{
    private const string CompletionTemplate =
        "{RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.000} ms (route {Route}, upstream {Upstream}, model {Model}, attempts {Attempts})";

    /// <summary>
    /// Serilog to the console through a background queue (JSON when <c>SlmGateway:Logging:Json</c> is
    /// true or in a container); levels from the <c>Serilog</c> section. No request or response bodies are logged.
    /// </summary>
    public static WebApplicationBuilder AddGatewayLogging(this WebApplicationBuilder builder)
    {
        var json = builder.Configuration.GetValue<bool?>("SlmGateway:Logging:Json")
            ?? builder.Configuration.GetValue<bool>("DOTNET_RUNNING_IN_CONTAINER");
        builder.Services.AddSerilog((services, logger) =>
        {
            logger
                .MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Yarp", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Extensions.Http", LogEventLevel.Warning)
                .ReadFrom.Configuration(builder.Configuration)
                .Enrich.FromLogContext();
            logger.WriteTo.Async(sink =>
            {
                if (json)
                {
                    sink.Console(new RenderedCompactJsonFormatter());
                }
                else
                {
                    sink.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture);
                }
            });
        });
        return builder;
    }

    /// <summary>One completion event per request, carrying the routing decision.</summary>
    public static WebApplication UseGatewayRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options =>
        {
            options.MessageTemplate = CompletionTemplate;
            options.EnrichDiagnosticContext = static (diagnostics, context) =>
            {
                var trace = context.Features.Get<RequestTrace>();
                diagnostics.Set("RequestId", context.TraceIdentifier);
                diagnostics.Set("Route", trace?.Route ?? "none");
                diagnostics.Set("Upstream", trace?.Upstream ?? "none");
                diagnostics.Set("Model", trace?.Model ?? "none");
                diagnostics.Set("Attempts", trace?.Attempts ?? 0);
                diagnostics.Set("ClientKeyId", trace?.ClientKeyId ?? "anonymous");
            };
        });
        return app;
    }
}
