using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Ports;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;
using SlmGateway.Host.Limits;
using SlmGateway.Host.Security;

namespace SlmGateway.Host.Hosting;

internal static class GatewayServiceCollectionExtensions
{
    /// <summary>Options, the model catalog, client keys with their rate limits, and how background failures are taken.</summary>
    public static IServiceCollection AddSlmGateway(this IServiceCollection services)
    {
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section);
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());
        services.TryAddSingleton<ModelCatalog>();
        services.TryAddSingleton<ClientKeyStore>();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LimitsOptions>, LimitsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IKeyLimits>(provider => provider.GetRequiredService<IOptions<LimitsOptions>>().Value.Store == "redis"
            ? ActivatorUtilities.CreateInstance<RedisKeyLimits>(provider)
            : new MemoryKeyLimits());
        services.TryAddSingleton<RoutePlanner>();
        services.TryAddSingleton<RouteExecutor>();
        services.TryAddSingleton<ISessionTiers>(provider => provider.GetRequiredService<IOptions<RoutingOptions>>().Value.Sessions.Store switch
        {
            "postgres" => ActivatorUtilities.CreateInstance<PostgresSessionTiers>(provider),
            _ => ActivatorUtilities.CreateInstance<MemorySessionTiers>(provider),
        });

        // Background workers survive their own failures (SupervisedLoop); should one still escape, it
        // must not stop the gateway, which would then exit 0 and not be restarted by a supervisor.
        services.Configure<HostOptions>(options => options.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);

        services.AddOptions<ShutdownOptions>().BindConfiguration(ShutdownOptions.Section)
            .Validate(o => o.DrainDelay >= TimeSpan.Zero && o.Grace > TimeSpan.Zero, "SlmGateway:Shutdown:DrainDelay must not be negative and Grace must be positive.").ValidateOnStart();
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = shutdown.Value.DrainDelay + shutdown.Value.Grace);
        services.TryAddSingleton<GracefulShutdown>();
        services.AddHostedService(provider => provider.GetRequiredService<GracefulShutdown>());
        return services;
    }
}
