using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Ports;
using SlmGateway.Core.Diagnostics;

namespace SlmGateway.Conversion.Shadow;

/// <summary>
/// Runs local candidates (with their LoRA adapter for the call's cluster, when they register one) on
/// sampled remote calls, one at a time, only while the model is idle, and
/// within <c>Shadow:CpuBudget</c>: after a run of d seconds it rests d × (1 − budget) / budget.
/// Each result is stored per cluster and model.
/// </summary>
internal sealed partial class ShadowEvaluator(
    ShadowSampler sampler, ILocalAnswerGenerator generator, AgreementScorer scorer, TraceStore store,
    IOptionsMonitor<LoopOptions> options, IOptionsMonitor<LocalOptions> local, GatewayMetrics metrics, ILogger<ShadowEvaluator> logger) : BackgroundService
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxIdleWait = TimeSpan.FromSeconds(30);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        BackgroundThread.RunAsync("slmgw-shadow", BackgroundPriority.Idle, () => SupervisedLoop.RunAsync("shadow", EvaluateUntilStoppedAsync, metrics, logger, stoppingToken), stoppingToken);

    private async Task EvaluateUntilStoppedAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var item in sampler.Reader.ReadAllAsync(stoppingToken))
            {
                foreach (var model in item.Models)
                {
                    await EvaluateAsync(item, model, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the samples still queued are not evaluated.
        }
    }

    private async Task EvaluateAsync(ShadowItem item, string model, CancellationToken cancellationToken)
    {
        LocalShadowAnswer? answer;
        try
        {
            answer = await AnswerWhenIdleAsync(item, model, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Skip(model, "failed");
            LogRunFailed(logger, model, ex.Message);
            return;
        }

        if (answer is not { Rejection: not "unsupported" })
        {
            Skip(model, answer is null ? "busy" : "unsupported");
            return;
        }

        try
        {
            var (agreed, similarity) = scorer.Score(item.RemoteAnswer, answer, item.Request);
            await store.InsertShadowResultAsync(
                new ShadowResult(item.CaptureId, item.ClusterId, model, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), agreed, similarity,
                    answer.Rejection is null, answer.Duration.TotalMilliseconds),
                cancellationToken);
            sampler.Evaluated();
            metrics.ShadowEvaluations.Add(1, new("model", model), new("outcome", agreed ? "agreed" : "disagreed"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            sampler.Skipped();
            metrics.ShadowEvaluations.Add(1, new("model", model), new("outcome", "skipped"));
            LogStoreFailed(logger, model, ex.Message);
        }

        var budget = options.CurrentValue.Shadow.CpuBudget;
        await Task.Delay(answer.Duration * ((1 - budget) / budget), cancellationToken);
    }

    private async Task<LocalShadowAnswer?> AnswerWhenIdleAsync(ShadowItem item, string model, CancellationToken cancellationToken)
    {
        var waited = TimeSpan.Zero;
        var adapter = LocalAdapterOptions.For(local.CurrentValue.Models.FirstOrDefault(m => m.Name == model), item.ClusterId);
        LocalShadowAnswer? answer;
        while ((answer = await generator.TryAnswerAsync(model, adapter, item.Request, cancellationToken)) is null && waited < MaxIdleWait)
        {
            await Task.Delay(IdlePoll, cancellationToken);
            waited += IdlePoll;
        }

        return answer;
    }

    private void Skip(string model, string reason)
    {
        sampler.Skipped();
        metrics.ShadowEvaluations.Add(1, new("model", model), new("outcome", "skipped"));
        metrics.ShadowSkips.Add(1, new("model", model), new("reason", reason));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A shadow run of {Model} failed and is skipped: {Error}")]
    private static partial void LogRunFailed(ILogger logger, string model, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A shadow result for {Model} could not be stored: {Error}")]
    private static partial void LogStoreFailed(ILogger logger, string model, string error);
}
