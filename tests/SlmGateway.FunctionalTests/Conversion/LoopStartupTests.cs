using SlmGateway.FunctionalTests.Infrastructure;

namespace SlmGateway.FunctionalTests.Conversion;

/// <summary>Loop settings that cannot work stop start-up with a message naming the setting.</summary>
public sealed class LoopStartupTests
{
    [Theory]
    [InlineData("postgres", "Host=localhost;Bogus Key=1", "Loop:Capture:ConnectionString is not a valid postgres connection string")]
    [InlineData("sqlite", "Nonsense=yes", "Loop:Capture:ConnectionString is not a valid sqlite connection string")]
    [InlineData("mysql", "Server=x", "Loop:Capture:Store 'mysql' must be 'sqlite' or 'postgres'")]
    public async Task InvalidTraceStore_StopsStartUp(string store, string connectionString, string message)
    {
        var (exitCode, output) = await GatewayProcess.RunAsync(
            TimeSpan.FromSeconds(60),
            "--SlmGateway:Loop:Capture:Enabled=true", $"--SlmGateway:Loop:Capture:Store={store}", $"--SlmGateway:Loop:Capture:ConnectionString={connectionString}");

        Assert.True(exitCode is not null and not 0, $"exit code {exitCode}: {output}");
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Shadow:SampleRate", "1.5", "Loop:Shadow:SampleRate 1.5 must be between 0 and 1")]
    [InlineData("Shadow:CpuBudget", "0", "Loop:Shadow:CpuBudget 0 must be above 0 and at most 1")]
    [InlineData("Capture:MaxCallsPerSecond", "-1", "Loop:Capture:MaxCallsPerSecond must be 0 (no limit) or more")]
    [InlineData("Redaction:Patterns:ORDER", "(unclosed", "Loop:Redaction:Patterns:ORDER is not a valid regular expression")]
    public async Task InvalidLoopSetting_StopsStartUp(string key, string value, string message)
    {
        var (exitCode, output) = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), $"--SlmGateway:Loop:{key}={value}");

        Assert.True(exitCode is not null and not 0, $"exit code {exitCode}: {output}");
        Assert.Contains(message, output, StringComparison.Ordinal);
    }
}
