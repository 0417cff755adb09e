using SlmGateway.Core.Configuration;

namespace SlmGateway.Host.Limits;

/// <summary>
/// A client key's rate limits and spend budgets: requests and tokens in the current minute, USD
/// spent on remote models in the current UTC day and month. In this process, or in Redis for replicas.
/// </summary>
internal interface IKeyLimits
{
    /// <summary>Counts one request of the key and says whether it may go on.</summary>
    ValueTask<LimitVerdict> AdmitAsync(ClientKeyOptions key, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Adds what a served request used: its tokens, and its cost when a remote model answered.</summary>
    ValueTask RecordAsync(ClientKeyOptions key, long tokens, double costUsd, DateTimeOffset now);
}

/// <summary>What a key has used in the current windows, after counting the request being admitted.</summary>
internal readonly record struct KeyUsage(long Requests, long Tokens, double SpentToday, double SpentThisMonth)
{
    /// <summary>The first limit this usage is over, as the answer to give; null when within every limit.</summary>
    public LimitVerdict Judge(ClientKeyOptions key, DateTimeOffset now)
    {
        var minuteLeft = TimeSpan.FromSeconds(60 - (now.ToUnixTimeSeconds() % 60));
        if (key.RequestsPerMinute > 0 && Requests > key.RequestsPerMinute)
        {
            return LimitVerdict.RateLimited($"Rate limit reached for key '{key.Id}': {key.RequestsPerMinute} requests a minute; retry after the time in the Retry-After header.", minuteLeft);
        }

        if (key.TokensPerMinute > 0 && Tokens >= key.TokensPerMinute)
        {
            return LimitVerdict.RateLimited($"Token rate limit reached for key '{key.Id}': {key.TokensPerMinute} tokens a minute; retry after the time in the Retry-After header.", minuteLeft);
        }

        if (key.DailyBudgetUsd > 0 && SpentToday >= key.DailyBudgetUsd)
        {
            return LimitVerdict.OverBudget($"Key '{key.Id}' has spent its daily budget of {key.DailyBudgetUsd} USD; it renews at 00:00 UTC.", now.UtcDateTime.Date.AddDays(1) - now.UtcDateTime);
        }

        if (key.MonthlyBudgetUsd > 0 && SpentThisMonth >= key.MonthlyBudgetUsd)
        {
            var nextMonth = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
            return LimitVerdict.OverBudget($"Key '{key.Id}' has spent its monthly budget of {key.MonthlyBudgetUsd} USD; it renews on the first of the month (UTC).", nextMonth - now.UtcDateTime);
        }

        return LimitVerdict.Allowed;
    }
}
