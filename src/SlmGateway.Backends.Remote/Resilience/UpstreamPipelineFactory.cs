using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Backends.Remote.Resilience;

/// <summary>
/// Builds one upstream's pipeline: retries (backoff with jitter, Retry-After honoured) around a
/// circuit breaker, so every attempt is counted by the breaker. Only uncommitted failures are retried.
/// </summary>
internal static class UpstreamPipelineFactory
{
    public static ResiliencePipeline<AttemptResult> Create(UpstreamOptions options, CircuitBreakerStateProvider breakerState)
    {
        var builder = new ResiliencePipelineBuilder<AttemptResult> { Name = options.Name };
        var retry = options.Retry;
        if (retry.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<AttemptResult>
            {
                MaxRetryAttempts = retry.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Result is { IsTransient: true } result
                    && (result.RetryAfter is null || result.RetryAfter <= retry.MaxRetryAfter)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.RetryAfter),
            });
        }

        var breaker = options.Breaker;
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<AttemptResult>
        {
            FailureRatio = breaker.FailureRatio,
            MinimumThroughput = breaker.MinimumThroughput,
            SamplingDuration = breaker.SamplingDuration,
            BreakDuration = breaker.BreakDuration,
            StateProvider = breakerState,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { CountsAsUpstreamFailure: true }),
        });
        return builder.Build();
    }
}
