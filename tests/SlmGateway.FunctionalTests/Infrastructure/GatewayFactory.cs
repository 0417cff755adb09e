using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SlmGateway.FunctionalTests.Infrastructure;

/// <summary>The real gateway on Kestrel at a loopback port, configured only by <see cref="GatewaySettings"/>.</summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>
{
    // WebApplicationFactory finds the host it builds through a process-wide diagnostic listener, so
    // two factories starting at once can pick up each other's host: starts are taken one at a time.
    private static readonly Lock StartLock = new();
    private readonly GatewaySettings _settings;
    private readonly string? _reloadableJsonFile;
    private readonly Action<IServiceCollection>? _faults;

    /// <param name="reloadableJsonFile">A JSON settings file read after <paramref name="settings"/> and watched for changes.</param>
    /// <param name="faults">Services put in place of the gateway's own, for tests of failures no request can cause.</param>
    public GatewayFactory(GatewaySettings settings, string? reloadableJsonFile = null, Action<IServiceCollection>? faults = null)
    {
        _settings = settings;
        _reloadableJsonFile = reloadableJsonFile;
        _faults = faults;
        UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
        lock (StartLock)
        {
            StartServer();
        }

        Address = new Uri(Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
    }

    public Uri Address { get; }

    public Uri BaseUrl => new(Address, "/v1/");

    /// <summary>A plain client for raw HTTP against the gateway.</summary>
    public HttpClient CreateHttpClient() => new() { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, configuration) =>
        {
            configuration.Sources.Clear();
            configuration.AddInMemoryCollection(_settings.Values);
            if (_reloadableJsonFile is not null)
            {
                configuration.AddJsonFile(_reloadableJsonFile, optional: false, reloadOnChange: true);
            }
        });
        if (_faults is not null)
        {
            builder.ConfigureTestServices(_faults);
        }
    }
}
