using System.Net;
using Microsoft.Extensions.Options;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests;

/// <summary>Bad configuration stops start-up; good changes are taken without a restart.</summary>
public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("BaseUrl", "not a url", "BaseUrl")]
    [InlineData("ApiKeyFile", "/nonexistent/key", "ApiKeyFile")]
    [InlineData("Breaker:FailureRatio", "1.5", "Breaker")]
    [InlineData("Timeouts:FirstByte", "00:00:00", "timeout")]
    public async Task InvalidUpstream_StopsStartUp_NamingTheSetting(string key, string value, string named)
    {
        var (exitCode, output) = await GatewayProcess.RunAsync(
            TimeSpan.FromSeconds(30),
            "--SlmGateway:Remote:Upstreams:0:Name=primary",
            "--SlmGateway:Remote:Upstreams:0:BaseUrl=http://127.0.0.1:9/v1",
            "--SlmGateway:Remote:Upstreams:0:Models:m=m",
            $"--SlmGateway:Remote:Upstreams:0:{key}={value}");

        Assert.True(exitCode is not null and not 0, $"the gateway must exit with an error; exit code {exitCode}: {output}");
        Assert.Contains(nameof(OptionsValidationException), output, StringComparison.Ordinal);
        Assert.Contains(named, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidClientKeyHash_StopsStartUp()
    {
        var (exitCode, output) = await GatewayProcess.RunAsync(
            TimeSpan.FromSeconds(30),
            "--SlmGateway:Auth:Keys:0:Id=team",
            "--SlmGateway:Auth:Keys:0:Sha256=not-a-hash");

        Assert.True(exitCode is not null and not 0, $"the gateway must exit with an error; exit code {exitCode}: {output}");
        Assert.Contains("Sha256", output, StringComparison.Ordinal);
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
