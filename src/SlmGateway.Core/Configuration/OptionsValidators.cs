using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace SlmGateway.Core.Configuration;

/// <summary>Stops start-up (and rejects a reload) on configuration that cannot work.</summary>
public sealed class RemoteOptionsValidator(IConfiguration configuration) : IValidateOptions<RemoteOptions>
{
    private static readonly TimeSpan LongestDuration = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, RemoteOptions options)
    {
        var failures = ListBinding.Failures<UpstreamOptions>(configuration, RemoteOptions.Section + ":Upstreams").ToList();
        if (options.AnswerDeadline <= TimeSpan.Zero || options.AnswerDeadline > TimeSpan.FromHours(1))
        {
            failures.Add("SlmGateway:Remote:AnswerDeadline must be positive and at most an hour.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var upstream in options.Upstreams)
        {
            var label = string.IsNullOrWhiteSpace(upstream.Name) ? "(unnamed)" : upstream.Name;
            if (string.IsNullOrWhiteSpace(upstream.Name))
            {
                failures.Add("Every upstream needs a Name.");
            }
            else if (!names.Add(upstream.Name))
            {
                failures.Add($"Upstream name '{upstream.Name}' is used twice.");
            }

            if (!Uri.TryCreate(upstream.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                failures.Add($"Upstream '{label}': BaseUrl '{upstream.BaseUrl}' is not an absolute http(s) URL.");
            }

            if (upstream.Models.Count == 0)
            {
                failures.Add($"Upstream '{label}': Models is empty; map at least one public model name (or '*').");
            }

            if (upstream.ApiKeyFile is { } file && !File.Exists(file))
            {
                failures.Add($"Upstream '{label}': ApiKeyFile '{file}' does not exist.");
            }

            ValidateTimeouts(upstream, label, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateTimeouts(UpstreamOptions upstream, string label, List<string> failures)
    {
        var t = upstream.Timeouts;
        TimeSpan[] timeouts = [t.Connect, t.FirstByte, t.Total, t.Idle];
        if (timeouts.Any(timeout => timeout <= TimeSpan.Zero || timeout > LongestDuration))
        {
            failures.Add($"Upstream '{label}': every timeout (Timeouts:Connect, FirstByte, Total, Idle) must be positive and at most a day.");
        }

        var r = upstream.Retry;
        if (r.MaxRetries is < 0 or > 100)
        {
            failures.Add($"Upstream '{label}': Retry:MaxRetries must be between 0 and 100.");
        }

        if (r.BaseDelay < TimeSpan.Zero || r.MaxDelay < r.BaseDelay || r.MaxRetryAfter < TimeSpan.Zero
            || r.BaseDelay > LongestDuration || r.MaxDelay > LongestDuration || r.MaxRetryAfter > LongestDuration)
        {
            failures.Add($"Upstream '{label}': Retry needs 0 <= BaseDelay <= MaxDelay, a MaxRetryAfter that is not negative, and each at most a day.");
        }

        var b = upstream.Breaker;
        if (b.FailureRatio is <= 0 or > 1 || b.MinimumThroughput < 2
            || b.SamplingDuration < TimeSpan.FromMilliseconds(500) || b.BreakDuration < TimeSpan.FromMilliseconds(500)
            || b.SamplingDuration > LongestDuration || b.BreakDuration > LongestDuration)
        {
            failures.Add($"Upstream '{label}': Breaker needs FailureRatio in (0, 1], MinimumThroughput >= 2 and durations between 0.5 s and a day.");
        }
    }
}

public sealed class AuthOptionsValidator(IConfiguration configuration) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = ListBinding.Failures<ClientKeyOptions>(configuration, AuthOptions.Section + ":Keys")
            .Concat(ListBinding.Failures<ClientKeyOptions>(configuration, AuthOptions.Section + ":AdminKeys"))
            .ToList();
        failures.AddRange(options.Keys.GroupBy(key => key.Id, StringComparer.Ordinal).Where(same => same.Count() > 1)
            .Select(same => $"Client key Id '{same.Key}' is used twice."));
        var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in options.Keys.Concat(options.AdminKeys))
        {
            if (!hashes.Add(key.Sha256))
            {
                failures.Add($"Client key '{key.Id}': its Sha256 is also another key's; each key must be distinct.");
            }

            if (string.IsNullOrWhiteSpace(key.Id))
            {
                failures.Add("Every client key needs an Id.");
            }

            if (key.Sha256.Length != 64 || !key.Sha256.All(Uri.IsHexDigit))
            {
                failures.Add($"Client key '{key.Id}': Sha256 must be 64 hex digits.");
            }

            if (key.RequestsPerMinute < 0 || key.TokensPerMinute < 0 || key.DailyBudgetUsd < 0 || key.MonthlyBudgetUsd < 0
                || !double.IsFinite(key.DailyBudgetUsd) || !double.IsFinite(key.MonthlyBudgetUsd))
            {
                failures.Add($"Client key '{key.Id}': RequestsPerMinute, TokensPerMinute, DailyBudgetUsd and MonthlyBudgetUsd must not be negative.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

public sealed class LimitsOptionsValidator : IValidateOptions<LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitsOptions options)
    {
        var failures = new List<string>();
        if (options.Store is not ("memory" or "redis"))
        {
            failures.Add($"SlmGateway:Limits:Store must be 'memory' or 'redis', not '{options.Store}'.");
        }
        else if (options.Store == "redis" && string.IsNullOrWhiteSpace(options.Redis))
        {
            failures.Add("SlmGateway:Limits:Redis (a Redis configuration string such as 'redis:6379') is required when Limits:Store is 'redis'.");
        }

        if (options.WhenUnavailable is not ("open" or "closed"))
        {
            failures.Add($"SlmGateway:Limits:WhenUnavailable must be 'open' or 'closed', not '{options.WhenUnavailable}'.");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            failures.Add("SlmGateway:Limits:Timeout must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
