using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace SlmGateway.Host.Hosting;

/// <summary>
/// appsettings.json and appsettings.{Environment}.json, reloaded when they change by checking them every
/// few seconds, instead of through ASP.NET Core's default watcher. That one watches the whole content root
/// with every folder under it, and the trace store lives in data/ there: each write of the store woke it
/// on a thread of normal priority (about a tenth of the capture writer's own CPU time, in runs of up to
/// 3 ms on the core that serves requests). The check costs one file status read per file every 4 s.
/// </summary>
internal static class SettingsFiles
{
    /// <summary>Host setting that keeps the default watcher from starting; the files are then added back by <see cref="ReloadByPolling"/>.</summary>
    public const string WithoutDefaultWatcher = "--hostBuilder:reloadConfigOnChange=false";

    public static WebApplicationBuilder ReloadByPolling(this WebApplicationBuilder builder)
    {
        var environment = builder.Environment;
        var files = new PhysicalFileProvider(environment.ContentRootPath) { UsePollingFileWatcher = true, UseActivePolling = true };
        builder.Services.AddSingleton<IHostedService>(_ => new PollingSettingsFiles(files));
        string[] names = ["appsettings.json", $"appsettings.{environment.EnvironmentName}.json"];
        var sources = ((IConfigurationBuilder)builder.Configuration).Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource { Path: { } path } json && names.Contains(path, StringComparer.Ordinal))
            {
                sources[i] = new JsonConfigurationSource { Path = path, Optional = json.Optional, ReloadOnChange = true, FileProvider = files };
            }
        }

        return builder;
    }

    /// <summary>Owns the polling file provider: the host starts every hosted service, so it disposes of this one, and the provider's timer with it, when it ends.</summary>
    private sealed class PollingSettingsFiles(PhysicalFileProvider files) : IHostedService, IDisposable
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose() => files.Dispose();
    }
}
