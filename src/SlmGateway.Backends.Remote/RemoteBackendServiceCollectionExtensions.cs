using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SlmGateway.Backends.Remote.Upstreams;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;

namespace SlmGateway.Backends.Remote;

public static class RemoteBackendServiceCollectionExtensions
{
    /// <summary>Registers the YARP forwarder, the upstream table and the remote backend.</summary>
    public static IServiceCollection AddRemoteBackend(this IServiceCollection services)
    {
        services.AddHttpForwarder();
        services.AddOptions<RemoteOptions>().BindConfiguration(RemoteOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RemoteOptions>, RemoteOptionsValidator>());
        services.TryAddSingleton<UpstreamRegistry>();
        services.TryAddKeyedSingleton<IRequestBackend, RemoteBackend>(BackendKeys.Remote);
        services.TryAddSingleton<IUpstreamHealth, UpstreamHealth>();
        return services;
    }
}
