using System.Diagnostics;
using System.Text.RegularExpressions;
using SlmGateway.FunctionalTests.Infrastructure;

namespace SlmGateway.FunctionalTests.Deployment;

/// <summary>
/// What can be checked of the container setup without a Docker engine: the Prometheus configuration
/// with Prometheus' own checker, and that every file the compose file and Dockerfiles take exists.
/// </summary>
public sealed partial class DeploymentFilesTests
{
    [Fact]
    public async Task PrometheusConfiguration_PassesPromtool_AndScrapesTheGatewaysMetrics()
    {
        var config = Path.Combine(RepositoryRoot.Path, "deploy", "prometheus", "prometheus.yml");
        var info = new ProcessStartInfo("promtool", ["check", "config", config]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var promtool = Process.Start(info)!;
        var output = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();

        Assert.True(promtool.ExitCode == 0, output);
        var text = await File.ReadAllTextAsync(config);
        Assert.Contains("metrics_path: /metrics", text, StringComparison.Ordinal);
        Assert.Contains("\"gateway:8080\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryPathTheComposeFileMounts_Exists()
    {
        var compose = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "docker-compose.yml"));

        var mounts = Mount().Matches(compose).Select(match => match.Groups[1].Value).ToList();

        Assert.Contains("./deploy/grafana/dashboards", mounts);
        Assert.All(mounts, mount => Assert.True(Path.Exists(Path.Combine(RepositoryRoot.Path, mount)), $"{mount} does not exist"));
        Assert.Contains("dockerfile: deploy/Dockerfile", compose, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deploy/Dockerfile")]
    [InlineData("deploy/Dockerfile.cuda")]
    public async Task EverySourceTheDockerfileCopies_Exists_AndItChecksReadiness(string dockerfile)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, dockerfile));

        var sources = Copy().Matches(text).SelectMany(match => match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1]).ToList();

        Assert.NotEmpty(sources);
        Assert.All(sources, source => Assert.True(Path.Exists(Path.Combine(RepositoryRoot.Path, source)), $"{dockerfile}: {source} does not exist"));
        Assert.Contains("HEALTHCHECK", text, StringComparison.Ordinal);
        Assert.Contains("/readyz", text, StringComparison.Ordinal);
        Assert.Contains("EXPOSE 8080", text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\s*-\s*(\./[^:]+):", RegexOptions.Multiline)]
    private static partial Regex Mount();

    [GeneratedRegex(@"^COPY (?!--from)(.+)$", RegexOptions.Multiline)]
    private static partial Regex Copy();
}
