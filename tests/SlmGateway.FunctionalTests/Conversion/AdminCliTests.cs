using System.Text;
using SlmGateway.Cli;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Conversion;

/// <summary>The <c>slmgw</c> command line against a running gateway's admin API.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AdminCliTests(PostgresServer postgres) : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync(record: false);

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task ClustersPromoteExportAndDelete_FromTheCommandLine()
    {
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom)
            .Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini")
            .Capture(store));
        using (var client = gateway.CreateHttpClient())
        {
            using var response = await client.PostAsync("/v1/chat/completions", new StringContent(
                """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Convert 100 USD to EUR, reply to ann@example.com"}]}""", Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }

        using (var admin = new AdminClient(gateway))
        {
            await admin.SettledCaptureAsync(1);
        }

        var (code, output, _) = await RunAsync(gateway, "clusters");
        Assert.Equal(0, code);
        Assert.Matches(@"\n\s+1\s+observed\s+-\s+1\s+-", output);

        (code, output, _) = await RunAsync(gateway, "promote", "1", "--model", "tiny-random", "--reason", "checked");
        Assert.Equal(0, code);
        Assert.Contains("\"to\": \"promoted\"", output, StringComparison.Ordinal);

        var folder = Path.Combine(Path.GetTempPath(), $"slmgw-export-{Guid.NewGuid():N}");
        (code, output, _) = await RunAsync(gateway, "export", "1", "--out", folder, "--validation-share", "0");
        Assert.Equal(0, code);
        var training = await File.ReadAllTextAsync(Path.Combine(folder, "cluster-1-training.jsonl"));
        Assert.Contains("[EMAIL]", training, StringComparison.Ordinal);
        Assert.Contains("cluster-1-training.jsonl: 1 examples", output, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);

        (code, output, _) = await RunAsync(gateway, "delete", "--all");
        Assert.Equal((0, true), (code, output.Contains("\"deleted\": 1", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Mistakes_AreExplained_WithExitCodes()
    {
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(new GatewaySettings().Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini").Capture(store));

        var (code, _, errors) = await RunAsync(gateway, "delete");
        Assert.Equal(2, code);
        Assert.Contains("--key-id", errors, StringComparison.Ordinal);

        (code, _, errors) = await RunAsync(gateway, "cluster", "abc");
        Assert.Equal(2, code);

        (code, _, errors) = await RunAsync(gateway, "cluster", "42");
        Assert.Equal((1, true), (code, errors.Contains("404", StringComparison.Ordinal)));

        var wrong = new StringWriter();
        Assert.Equal(1, await AdminCli.RunAsync(["--url", gateway.Address.ToString(), "--admin-key", "nope", "status"], new StringWriter(), wrong));
        Assert.Contains("401", wrong.ToString(), StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Errors)> RunAsync(GatewayFactory gateway, params string[] command)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var code = await AdminCli.RunAsync(["--url", gateway.Address.ToString(), "--admin-key", LoopStore.AdminKey, .. command], output, errors);
        return (code, output.ToString(), errors.ToString());
    }
}
