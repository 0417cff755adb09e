using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Host.Hosting;

/// <summary>
/// On SIGTERM, before the server stops listening: readiness turns 503 and the gateway keeps serving
/// for <c>Shutdown:DrainDelay</c>. The server then refuses new connections and waits up to
/// <c>Shutdown:Grace</c> for requests in flight; the capture writer flushes its queue as it stops;
/// the process exits 0.
/// </summary>
internal sealed partial class GracefulShutdown(IOptions<ShutdownOptions> options, ILogger<GracefulShutdown> logger) : IHostedLifecycleService
{
    private volatile bool _stopping;

    public bool Stopping => _stopping;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        LogDraining(logger, options.Value.DrainDelay.TotalSeconds);
        await Task.Delay(options.Value.DrainDelay, CancellationToken.None);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: readiness answers 503 for {Seconds} s while requests are still served, then requests in flight are finished")]
    private static partial void LogDraining(ILogger logger, double seconds);
}
