using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace SlmGateway.Conversion;

/// <summary>Stops start-up on loop settings that cannot work, one sentence per problem.</summary>
internal sealed class LoopOptionsValidator : IValidateOptions<LoopOptions>
{
    public ValidateOptionsResult Validate(string? name, LoopOptions options)
    {
        var failures = new List<string>();
        var capture = options.Capture;
        if (capture.Store is not ("sqlite" or "postgres"))
        {
            failures.Add($"Loop:Capture:Store '{capture.Store}' must be 'sqlite' or 'postgres'.");
        }
        else if (ConnectionStringProblem(capture) is { } problem)
        {
            failures.Add($"Loop:Capture:ConnectionString is not a valid {capture.Store} connection string: {problem}");
        }

        if (capture.QueueLength < 1 || capture.BatchSize < 1 || capture.MaxBodyBytes < 1)
        {
            failures.Add("Loop:Capture:QueueLength, BatchSize and MaxBodyBytes must be at least 1.");
        }

        if (capture.BatchWait < TimeSpan.Zero)
        {
            failures.Add("Loop:Capture:BatchWait must be 0 (write each call as it comes) or more.");
        }

        if (capture.RetentionDays < 0)
        {
            failures.Add("Loop:Capture:RetentionDays must be 0 (keep) or more.");
        }

        if (capture.MaxCallsPerSecond < 0)
        {
            failures.Add("Loop:Capture:MaxCallsPerSecond must be 0 (no limit) or more.");
        }

        foreach (var (patternName, pattern) in options.Redaction.Patterns)
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException ex)
            {
                failures.Add($"Loop:Redaction:Patterns:{patternName} is not a valid regular expression: {ex.Message}");
            }
        }

        var regions = PhoneNumbers.PhoneNumberUtil.GetInstance().GetSupportedRegions();
        foreach (var region in options.Redaction.PhoneRegions.Where(region => !regions.Contains(region)))
        {
            failures.Add($"Loop:Redaction:PhoneRegions holds '{region}', which is not a region libphonenumber knows (use ISO 3166 codes such as DE or JP).");
        }

        var distillation = options.Distillation;
        if (distillation.MinExamples < 1 || distillation.Steps < 1 || distillation.BatchSize < 1 || distillation.Threads < 1 || distillation.Candidates < 1
            || distillation.MaxMemoryMb < 1 || distillation.MaxOutputTokens < 1 || distillation.MaxDuration <= TimeSpan.Zero || distillation.LearningRate <= 0)
        {
            failures.Add("Loop:Distillation:MinExamples, Steps, BatchSize, Threads, Candidates, MaxMemoryMb, MaxOutputTokens, MaxDuration and LearningRate must be positive.");
        }

        if (distillation.HiddenSize < 32 || distillation.HiddenSize % 64 != 0 || distillation.Layers < 1)
        {
            failures.Add("Loop:Distillation:HiddenSize must be a multiple of 64 (heads of 32, in pairs sharing keys), and Layers at least 1.");
        }

        if (distillation.ValidationShare is < 0 or > 0.5)
        {
            failures.Add("Loop:Distillation:ValidationShare must be between 0 and 0.5.");
        }

        RequireShare(capture.SampleRate, "Loop:Capture:SampleRate", failures);
        RequireShare(options.Clustering.Similarity, "Loop:Clustering:Similarity", failures);
        RequireShare(options.Shadow.SampleRate, "Loop:Shadow:SampleRate", failures);
        RequireShare(options.Shadow.TextAgreement, "Loop:Shadow:TextAgreement", failures);
        RequireShare(options.Promotion.Agreement, "Loop:Promotion:Agreement", failures);
        RequireShare(options.Promotion.DemoteEscalationRate, "Loop:Promotion:DemoteEscalationRate", failures);
        if (options.Shadow.CpuBudget is <= 0 or > 1)
        {
            failures.Add($"Loop:Shadow:CpuBudget {options.Shadow.CpuBudget} must be above 0 and at most 1.");
        }

        if (options.Shadow.QueueLength < 1 || options.Promotion.MinSamples < 1 || options.Promotion.MinLiveSamples < 1)
        {
            failures.Add("Loop:Shadow:QueueLength, Loop:Promotion:MinSamples and MinLiveSamples must be at least 1.");
        }

        if (options.Promotion.Interval <= TimeSpan.Zero || capture.RefreshInterval <= TimeSpan.Zero)
        {
            failures.Add("Loop:Promotion:Interval and Loop:Capture:RefreshInterval must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string? ConnectionStringProblem(CaptureOptions capture)
    {
        try
        {
            _ = capture.Store == "postgres"
                ? new NpgsqlConnectionStringBuilder(capture.ConnectionString).ConnectionString
                : new SqliteConnectionStringBuilder(capture.ConnectionString).DataSource;
            return null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }

    private static void RequireShare(double value, string setting, List<string> failures)
    {
        if (value is < 0 or > 1)
        {
            failures.Add($"{setting} {value} must be between 0 and 1.");
        }
    }
}
