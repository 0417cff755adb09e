using SlmGateway.Backends.Onnx;
using SlmGateway.Backends.Remote;
using SlmGateway.Conversion;
using SlmGateway.Conversion.Admin;
using SlmGateway.Routing;
using SlmGateway.Host.Api;
using SlmGateway.Host.Diagnostics;
using SlmGateway.Host.Hosting;
using SlmGateway.Host.Logging;

try
{
    var builder = WebApplication.CreateSlimBuilder([.. args, SettingsFiles.WithoutDefaultWatcher]).ReloadByPolling();
    builder.WebHost.UseKestrelHttpsConfiguration().ConfigureKestrel(RequestHeadLimits.ConfigureKestrel);
    builder.AddGatewayLogging();
    builder.AddGatewayTelemetry();
    builder.Services.AddSlmGateway().AddRequestRouting().AddOnnxBackend().AddRemoteBackend().AddConversionLoop();

    var app = builder.Build();
    app.UseGatewayPipeline();
    app.MapHealthEndpoints();
    app.MapMetricsEndpoint();
    app.MapOpenAiApi();
    app.MapLoopAdminApi();
    app.Run();
    return Environment.ExitCode;
}
catch (Exception ex) when (StartupFailure.Describe(ex) is { } line)
{
    await Console.Error.WriteLineAsync(line);
    return 1;
}

/// <summary>Entry point; public so functional tests can host the gateway.</summary>
public partial class Program;
