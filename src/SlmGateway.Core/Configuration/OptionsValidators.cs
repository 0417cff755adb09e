using Microsoft.Extensions.Options;

namespace SlmGateway.Core.Configuration;

/// <summary>Stops start-up (and rejects a reload) on configuration that cannot work.</summary>
public sealed class RemoteOptionsValidator : IValidateOptions<RemoteOptions>
{
    public ValidateOptionsResult Validate(string? name, RemoteOptions options)
    {
        var failures = new List<string>();
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
        if (t.Connect <= TimeSpan.Zero || t.FirstByte <= TimeSpan.Zero || t.Total <= TimeSpan.Zero || t.Idle <= TimeSpan.Zero)
        {
            failures.Add($"Upstream '{label}': every timeout must be positive.");
        }

        if (upstream.Retry.MaxRetries < 0)
        {
            failures.Add($"Upstream '{label}': Retry.MaxRetries must not be negative.");
        }

        var b = upstream.Breaker;
        if (b.FailureRatio is <= 0 or > 1 || b.MinimumThroughput < 2
            || b.SamplingDuration < TimeSpan.FromMilliseconds(500) || b.BreakDuration < TimeSpan.FromMilliseconds(500))
        {
            failures.Add($"Upstream '{label}': Breaker needs FailureRatio in (0, 1], MinimumThroughput >= 2 and durations of at least 0.5 s.");
        }
    }
}

public sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        foreach (var key in options.Keys.Concat(options.AdminKeys))
        {
            if (string.IsNullOrWhiteSpace(key.Id))
            {
                failures.Add("Every client key needs an Id.");
            }

            if (key.Sha256.Length != 64 || !key.Sha256.All(Uri.IsHexDigit))
            {
                failures.Add($"Client key '{key.Id}': Sha256 must be 64 hex digits.");
            }

            if (key.RequestsPerMinute < 0)
            {
                failures.Add($"Client key '{key.Id}': RequestsPerMinute must not be negative.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
