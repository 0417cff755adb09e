using SlmGateway.Contracts.Errors;

namespace SlmGateway.Host.Limits;

/// <summary>Whether a request may go on, and if not the error to answer and when to retry.</summary>
internal readonly record struct LimitVerdict(GatewayError? Error, TimeSpan? RetryAfter)
{
    public static LimitVerdict Allowed => default;

    public static LimitVerdict RateLimited(string message, TimeSpan retryAfter) => new(GatewayError.RateLimited(message), retryAfter);

    public static LimitVerdict OverBudget(string message, TimeSpan retryAfter) => new(GatewayError.BudgetExceeded(message), retryAfter);

    public static LimitVerdict Unavailable => new(GatewayError.Unavailable("Rate limits and budgets cannot be checked now (the limits store does not answer); retry shortly."), TimeSpan.FromSeconds(1));
}
