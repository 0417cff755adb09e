using System.Globalization;
using Serilog;
using Serilog.Configuration;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;

namespace SlmGateway.Host.Logging;

internal static class GatewayLogging
{
    private const string TextTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Message:lj} {RequestId}{NewLine}{Exception}";

    /// <summary>
    /// Serilog to standard output in batches (JSON when <c>SlmGateway:Logging:Json</c> is true or in
    /// a container); levels from the <c>Serilog</c> section. No request or response bodies are logged.
    /// Output is written every 200 ms; 16 MB of text waiting for a blocked output drops events rather
    /// than grow or slow requests.
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
                // ASP.NET Core starts an Activity for every request whenever this category is enabled at
                // all (for its request-start and -finish events, which the gateway's own event replaces).
                .MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", LevelAlias.Off)
                .MinimumLevel.Override("Yarp", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Extensions.Http", LogEventLevel.Warning)
                // "Hosting failed to start" and its stack: Program prints a configuration error as one line itself.
                .MinimumLevel.Override("Microsoft.Extensions.Hosting.Internal.Host", LogEventLevel.Fatal)
                .ReadFrom.Configuration(builder.Configuration)
                .Enrich.FromLogContext();
            ITextFormatter formatter = json
                ? new RenderedCompactJsonFormatter()
                : new MessageTemplateTextFormatter(TextTemplate, CultureInfo.InvariantCulture);
            logger.WriteTo.Sink(new BufferedConsoleSink(formatter, Console.OpenStandardOutput()));
        });
        builder.Services.AddSingleton<RequestCompletionLog>();
        return builder;
    }
}
