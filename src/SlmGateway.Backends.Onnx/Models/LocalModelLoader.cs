using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SlmGateway.Backends.Onnx.Models;

/// <summary>
/// Loads the local models off the start-up path. A model that cannot be loaded (a corrupt file, a
/// missing execution provider) stops the process with exit code 1 and a message naming it.
/// </summary>
internal sealed partial class LocalModelLoader(
    LocalModelRegistry registry,
    IHostApplicationLifetime lifetime,
    ILogger<LocalModelLoader> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var model in registry.Configured.Where(model => model.RandomWeights))
        {
            LogRandomWeights(logger, model.Name);
        }

        _ = Task.Factory.StartNew(Load, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Load()
    {
        try
        {
            registry.LoadAll((model, elapsed) => LogLoaded(logger, model.Name, model.Provider, elapsed.TotalMilliseconds));
        }
        catch (InvalidOperationException ex)
        {
            LogLoadFailed(logger, ex, ex.Message);
            Environment.ExitCode = 1;

            // Stopping while the host is still starting makes its start throw and the process abort;
            // the registration runs at once when the host has already started.
            lifetime.ApplicationStarted.Register(lifetime.StopApplication);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Local model {Model} loaded on {Provider} in {ElapsedMs:F0} ms")]
    private static partial void LogLoaded(ILogger logger, string model, string provider, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Reason} The gateway stops.")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local model {Model} has random weights: it writes random text. Configure a real model (see models/README.md) for real answers.")]
    private static partial void LogRandomWeights(ILogger logger, string model);
}
