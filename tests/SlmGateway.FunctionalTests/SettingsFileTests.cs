using System.Net;
using System.Text.Json;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests;

/// <summary>
/// The gateway process reads appsettings.json from its content root and takes a change to it without a
/// restart, without watching the content root's folders (the trace store writes under data/ there).
/// </summary>
public sealed class SettingsFileTests : IAsyncLifetime
{
    private readonly string _contentRoot = Path.Combine(Path.GetTempPath(), $"slmgw-settings-{Guid.NewGuid():N}");
    private FakeUpstream? _upstream;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync(record: false);
        Directory.CreateDirectory(Path.Combine(_contentRoot, "data"));
        await WriteSettingsAsync([]);
    }

    public async Task DisposeAsync()
    {
        await _upstream!.DisposeAsync();
        Directory.Delete(_contentRoot, recursive: true);
    }

    [Fact]
    public async Task ChangedSettingsFile_IsServedWithoutRestart()
    {
        await using var gateway = await StartAsync();
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models/first")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/models/late-alias")).StatusCode);

        await WriteSettingsAsync(new() { ["late-alias"] = "first" });

        var status = HttpStatusCode.NotFound;
        for (var i = 0; i < 100 && status != HttpStatusCode.OK; i++)
        {
            await Task.Delay(100);
            status = (await client.GetAsync("/v1/models/late-alias")).StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, status);
    }

    /// <summary>Linux: what the process watches, from its open inotify descriptors in /proc.</summary>
    [Fact]
    public async Task ContentRoot_IsNotWatched()
    {
        await using var gateway = await StartAsync();

        var watches = Directory.EnumerateFiles($"/proc/{gateway.Process.Id}/fdinfo").Sum(WatchesIn);

        Assert.Equal(0, watches);
    }

    private static int WatchesIn(string descriptorInfo)
    {
        try
        {
            return File.ReadLines(descriptorInfo).Count(line => line.StartsWith("inotify wd:", StringComparison.Ordinal));
        }
        catch (FileNotFoundException)
        {
            // Closed since the folder was listed.
            return 0;
        }
    }

    private Task<RunningGateway> StartAsync() => GatewayProcess.StartAsync(
        $"--contentRoot={_contentRoot}",
        $"--SlmGateway:Loop:Capture:ConnectionString=Data Source={Path.Combine(_contentRoot, "data", "traces.db")}");

    private Task WriteSettingsAsync(Dictionary<string, string> aliases) => File.WriteAllTextAsync(
        Path.Combine(_contentRoot, "appsettings.json"),
        JsonSerializer.Serialize(new
        {
            SlmGateway = new
            {
                Aliases = aliases,
                Remote = new { Upstreams = new[] { new { Name = "primary", BaseUrl = _upstream!.BaseUrl, Models = new Dictionary<string, string> { ["first"] = "first" } } } },
            },
        }));
}
