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
    public void InvalidUpstream_StopsStartUp_NamingTheSetting(string key, string value, string named)
    {
        var settings = new GatewaySettings().Upstream("primary", "http://127.0.0.1:9/v1", ["m"], o => o[key] = value);

        var error = ValidationFailure(() => new GatewayFactory(settings));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidClientKeyHash_StopsStartUp()
    {
        var settings = new GatewaySettings().Upstream("primary", "http://127.0.0.1:9/v1", "m").ClientKey("team", "not-a-hash");

        var error = ValidationFailure(() => new GatewayFactory(settings));

        Assert.Contains("Sha256", error.Message, StringComparison.Ordinal);
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

    /// <summary>The options-validation failure that stopped start-up, wherever the host wrapped it.</summary>
    private static OptionsValidationException ValidationFailure(Func<GatewayFactory> start)
    {
        var thrown = Record.Exception(() => start().Dispose());
        Assert.NotNull(thrown);
        for (var inner = thrown; inner is not null; inner = inner.InnerException)
        {
            if (inner is OptionsValidationException validation)
            {
                return validation;
            }
        }

        throw new Xunit.Sdk.XunitException($"Start-up failed, but not on configuration validation: {thrown}");
    }
}
