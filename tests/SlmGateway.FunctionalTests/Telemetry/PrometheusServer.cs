using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using SlmGateway.FunctionalTests.Infrastructure;

namespace SlmGateway.FunctionalTests.Telemetry;

/// <summary>A real Prometheus (Debian's <c>prometheus</c> package, which <c>.ci/run</c> installs) scraping a gateway every second.</summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private PrometheusServer(Process process, string folder, Uri address)
    {
        _process = process;
        _folder = folder;
        Address = address;
    }

    public Uri Address { get; }

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static async Task<PrometheusServer> StartAsync(Uri gateway)
    {
        var binary = Environment.GetEnvironmentVariable("PROMETHEUS_BIN") ?? "/usr/bin/prometheus";
        Assert.True(File.Exists(binary), $"Prometheus is needed at {binary} (apt-get install prometheus; .ci/run installs it) or named by PROMETHEUS_BIN.");
        var folder = Path.Combine(Path.GetTempPath(), $"slmgw-prometheus-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var config = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: slmgateway
                metrics_path: /metrics
                static_configs:
                  - targets: ["{gateway.Authority}"]
            """);
        var address = new Uri($"http://127.0.0.1:{FreePort.Next()}/");
        var process = QuietProcess.Start(binary, [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}", $"--web.listen-address={address.Authority}"]);
        var server = new PrometheusServer(process, folder, address);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var ready = await server.Client.GetAsync(new Uri(address, "-/ready"));
                if (ready.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        await server.DisposeAsync();
        throw new TimeoutException("Prometheus did not become ready within 10 s.");
    }

    /// <summary>The series an instant query returns, and the error when it fails.</summary>
    public async Task<(int Series, string? Error)> QueryAsync(string promql)
    {
        var response = await Client.GetFromJsonAsync<JsonElement>(new Uri(Address, $"api/v1/query?query={Uri.EscapeDataString(promql)}"));
        return response.GetProperty("status").GetString() == "success"
            ? (response.GetProperty("data").GetProperty("result").GetArrayLength(), null)
            : (0, response.GetProperty("error").GetString());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Client.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
