using Microsoft.Extensions.Logging;
using SlmGateway.Core.Diagnostics;

namespace SlmGateway.Conversion;

/// <summary>
/// Keeps one of the loop's background workers alive: a failure that escapes it is logged, counted
/// (<c>slmgw.background.failures</c>) and followed by a fresh start a moment later, so no bad call
/// or store fault can stop the gateway or silently end capture or shadow evaluation.
/// </summary>
internal static partial class SupervisedLoop
{
    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(1);

    public static async Task RunAsync(string worker, Func<CancellationToken, Task> work, GatewayMetrics metrics, ILogger logger, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await work(stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                metrics.BackgroundFailures.Add(1, new KeyValuePair<string, object?>("worker", worker));
                LogRestarting(logger, ex, worker);
            }

            try
            {
                await Task.Delay(RestartDelay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The background worker {Worker} failed and starts again")]
    private static partial void LogRestarting(ILogger logger, Exception exception, string worker);
}
