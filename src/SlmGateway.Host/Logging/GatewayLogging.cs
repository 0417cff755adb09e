using System.Globalization;
using Serilog;
using Serilog.Configuration;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;
using SlmGateway.Core.Execution;

namespace SlmGateway.Host.Logging;

internal static class GatewayLogging
{
    private const string CompletionTemplate =
        "{RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.000} ms (route {Route}, upstream {Upstream}, model {Model}, attempts {Attempts})";

    private const string TextTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Message:lj} {RequestId}{NewLine}{Exception}";

    /// <summary>
    /// Serilog to standard output in batches (JSON when <c>SlmGateway:Logging:Json</c> is true or in
    /// a container); levels from the <c>Serilog</c> section. No request or response bodies are logged.
    /// A full queue (100k events) drops events rather than grow or slow requests.
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
            ITextFormatter formatter = json
                ? new RenderedCompactJsonFormatter()
                : new MessageTemplateTextFormatter(TextTemplate, CultureInfo.InvariantCulture);
            logger.WriteTo.Sink(
                new BatchedConsoleSink(formatter),
                new BatchingOptions { BatchSizeLimit = 1000, BufferingTimeLimit = TimeSpan.FromMilliseconds(200), QueueLimit = 100_000, EagerlyEmitFirstEvent = true });
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
