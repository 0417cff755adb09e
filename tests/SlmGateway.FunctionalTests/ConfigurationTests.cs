using System.Net;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests;

/// <summary>Bad configuration stops start-up; good changes are taken without a restart.</summary>
public sealed class ConfigurationTests
{
    private const string Hash = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

    [Theory]
    [InlineData("BaseUrl", "not a url", "BaseUrl")]
    [InlineData("ApiKeyFile", "/nonexistent/key", "ApiKeyFile")]
    [InlineData("Breaker:FailureRatio", "1.5", "Breaker")]
    [InlineData("Breaker:BreakDuration", "3.00:00:00", "Breaker")]
    [InlineData("Timeouts:FirstByte", "00:00:00", "Timeouts")]
    [InlineData("Timeouts:Connect", "abc", "SlmGateway:Remote:Upstreams:0:Timeouts:Connect")]
    [InlineData("Retry:BaseDelay", "-00:00:01", "BaseDelay")]
    [InlineData("Retry:MaxRetries", "many", "SlmGateway:Remote:Upstreams:0:Retry:MaxRetries")]
    public async Task InvalidUpstream_StopsStartUp_WithOneLineNamingTheSetting(string key, string value, string named)
    {
        await AssertStopsAsync(
            named,
            "--SlmGateway:Remote:Upstreams:0:Name=primary",
            "--SlmGateway:Remote:Upstreams:0:BaseUrl=http://127.0.0.1:9/v1",
            "--SlmGateway:Remote:Upstreams:0:Models:m=m",
            $"--SlmGateway:Remote:Upstreams:0:{key}={value}");
    }

    [Theory]
    [InlineData("--SlmGateway:Auth:Keys:0:Sha256=not-a-hash", "Sha256")]
    [InlineData("--SlmGateway:Auth:Keys:1:Id=other", "also another key's")]
    [InlineData("--SlmGateway:Auth:Keys:0:RequestsPerMinute=ten", "SlmGateway:Auth:Keys:0:RequestsPerMinute")]
    [InlineData("--SlmGateway:Auth:Keys:0:DailyBudgetUsd=-1", "DailyBudgetUsd")]
    public async Task InvalidClientKeys_StopStartUp(string setting, string named) =>
        await AssertStopsAsync(named, "--SlmGateway:Auth:Keys:0:Id=team", $"--SlmGateway:Auth:Keys:0:Sha256={Hash}", $"--SlmGateway:Auth:Keys:1:Sha256={Hash}", setting);

    [Theory]
    [InlineData("--SlmGateway:Telemetry:OtlpEndpoint=collector:4317", "SlmGateway:Telemetry:OtlpEndpoint")]
    [InlineData("--SlmGateway:Remote:AnswerDeadline=-00:00:05", "AnswerDeadline")]
    [InlineData("--SlmGateway:Local:Models:0:MaxOutputTokens=lots", "SlmGateway:Local:Models:0:MaxOutputTokens")]
    [InlineData("--SlmGateway:Routing:ClassifierFile=/nonexistent/router.json", "Router model file '/nonexistent/router.json' cannot be read")]
    [InlineData("--SlmGateway:Routing:Sessions:Store=redis", "SlmGateway:Routing:Sessions:Store")]
    [InlineData("--SlmGateway:Limits:Store=etcd", "SlmGateway:Limits:Store")]
    [InlineData("--SlmGateway:Limits:Store=redis", "SlmGateway:Limits:Redis")]
    [InlineData("--SlmGateway:Limits:WhenUnavailable=maybe", "SlmGateway:Limits:WhenUnavailable")]
    public async Task OtherInvalidSettings_StopStartUp(string setting, string named) => await AssertStopsAsync(named, setting);

    [Fact]
    public async Task ACorruptRouterModelFile_StopsStartUp_WithOneLineNamingIt()
    {
        var file = Path.Combine(Path.GetTempPath(), $"slmgw-router-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{"format":"slmgw-router-logistic/1","weights":[1,2""");
        try
        {
            await AssertStopsAsync($"Router model file '{file}' cannot be used", $"--SlmGateway:Routing:ClassifierFile={file}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task AssertStopsAsync(string named, params string[] settings)
    {
        var (exitCode, output) = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(30), settings);

        Assert.True(exitCode == 1, $"the gateway must exit with code 1; exit code {exitCode}: {output}");
        Assert.Contains(named, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"one line expected, got {lines.Length}: {output}");
    }

    [Fact]
    public async Task ChangedModelMap_IsServedWithoutRestart()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var file = Path.Combine(Path.GetTempPath(), $"slmgw-reload-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{"SlmGateway":{"Aliases":{}}}""");
        try
        {
            await using var gateway = new GatewayFactory(new GatewaySettings().Upstream("primary", upstream.BaseUrl, "first"), file);
            using var client = gateway.CreateHttpClient();
            using (var before = await client.GetAsync("/v1/models/late-alias"))
            {
                Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
            }

            await File.WriteAllTextAsync(file, """{"SlmGateway":{"Aliases":{"late-alias":"first"}}}""");

            var status = HttpStatusCode.NotFound;
            for (var i = 0; i < 50 && status != HttpStatusCode.OK; i++)
            {
                await Task.Delay(100);
                using var after = await client.GetAsync("/v1/models/late-alias");
                status = after.StatusCode;
            }

            Assert.Equal(HttpStatusCode.OK, status);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
