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
    /// <summary>The request classifier (structural rules, then MiniLM exemplars) with its policy options.</summary>
    public static IServiceCollection AddRequestRouting(this IServiceCollection services)
    {
        services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.Section);
        services.TryAddSingleton<SemanticScorer>();
        services.TryAddSingleton<ITextEmbedder>(provider => provider.GetRequiredService<SemanticScorer>());
        services.TryAddKeyedSingleton<ITextEmbedder>(TextEmbedders.Background, (_, _) => new GuardedEmbedder(threads: 1));
        services.TryAddSingleton<IRequestClassifier, RequestClassifier>();
        services.AddHostedService<SemanticWarmUp>();
        return services;
    }

    /// <summary>Embeds the exemplars after start-up when <c>auto</c> can route both ways, so the first routed request does not pay for it.</summary>
    private sealed class SemanticWarmUp(SemanticScorer scorer, IOptions<RoutingOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (options.Value is { LocalModel: not null, RemoteModel: not null })
            {
                _ = Task.Run(scorer.WarmUp, CancellationToken.None);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
