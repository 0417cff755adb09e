using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SlmGateway.Conversion.Admin;
using SlmGateway.Conversion.Capture;
using SlmGateway.Conversion.Clustering;
using SlmGateway.Conversion.Distillation;
using SlmGateway.Conversion.Promotion;
using SlmGateway.Conversion.Redaction;
using SlmGateway.Conversion.Shadow;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Ports;

namespace SlmGateway.Conversion;

public static class ConversionServiceCollectionExtensions
{
    /// <summary>
    /// The conversion loop: capture queue and writer, redaction, task clusters, shadow evaluation,
    /// the promotion steward, cluster routing and the admin API's key check. Needs an
    /// <see cref="ITextEmbedder"/> and an <see cref="ILocalAnswerGenerator"/>.
    /// </summary>
    public static IServiceCollection AddConversionLoop(this IServiceCollection services)
    {
        services.AddOptions<LoopOptions>().BindConfiguration(LoopOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LoopOptions>, LoopOptionsValidator>());
        services.TryAddSingleton<TraceStore>();
        services.TryAddSingleton<TraceStoreHealth>();
        services.TryAddSingleton<PiiRedactor>();
        services.TryAddSingleton<ClusterIndex>();
        services.TryAddSingleton<CaptureQueue>();
        services.TryAddSingleton<CaptureRate>();
        services.TryAddSingleton<CallProcessor>();
        services.TryAddSingleton<ShadowSampler>();
        services.TryAddSingleton<AgreementScorer>();
        services.TryAddSingleton<LoopSteward>();
        services.TryAddSingleton<DistillationRunner>();
        services.TryAddSingleton<IClusterRouting, ClusterRouter>();
        services.TryAddSingleton<AdminKeyFilter>();
        services.AddHostedService<CaptureWriter>();
        services.AddHostedService<ShadowEvaluator>();
        services.AddHostedService(provider => provider.GetRequiredService<LoopSteward>());
        services.AddHostedService(provider => provider.GetRequiredService<DistillationRunner>());
        return services;
    }
}
