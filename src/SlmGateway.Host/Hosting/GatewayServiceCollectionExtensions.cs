using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Routing;
using SlmGateway.Host.Security;

namespace SlmGateway.Host.Hosting;

internal static class GatewayServiceCollectionExtensions
{
    /// <summary>Options, the model catalog, and client keys with their rate limits.</summary>
    public static IServiceCollection AddSlmGateway(this IServiceCollection services)
    {
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section);
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());
        services.TryAddSingleton<ModelCatalog>();
        services.TryAddSingleton<ClientKeyStore>();
        return services;
    }
}
