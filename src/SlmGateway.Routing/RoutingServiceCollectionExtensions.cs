using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Ports;
using SlmGateway.Core.Routing;
using SlmGateway.Routing.Classification;
using SlmGateway.Routing.Semantic;

namespace SlmGateway.Routing;

public static class RoutingServiceCollectionExtensions
{
    /// <summary>The request classifier (structural rules, then the trained classifier) with its policy options.</summary>
    public static IServiceCollection AddRequestRouting(this IServiceCollection services)
    {
        services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RoutingOptions>, RoutingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RequestEmbedder>();
        services.TryAddSingleton<RouterModelSource>();
        services.TryAddSingleton<ITextEmbedder>(provider => provider.GetRequiredService<RequestEmbedder>());
        services.TryAddSingleton<IRequestClassifier, RequestClassifier>();
        services.AddHostedService<SemanticWarmUp>();
        return services;
    }

    /// <summary>Loads MiniLM after start-up when <c>auto</c> can route both ways, so the first routed request does not pay for it.</summary>
    private sealed class SemanticWarmUp(RequestEmbedder embedder, RouterModelSource model, IOptions<RoutingOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = model.Current;
            if (options.Value is { LocalModel: not null, RemoteModel: not null })
            {
                _ = Task.Run(embedder.WarmUp, CancellationToken.None);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
