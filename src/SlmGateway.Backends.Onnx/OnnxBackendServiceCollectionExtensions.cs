using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SlmGateway.Backends.Onnx.Models;
using SlmGateway.Backends.Onnx.Serving;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Ports;
using SlmGateway.Core.Execution;

namespace SlmGateway.Backends.Onnx;

public static class OnnxBackendServiceCollectionExtensions
{
    /// <summary>Local models through ONNX Runtime GenAI: validated at start, loaded in the background, served as the <c>local</c> backend.</summary>
    public static IServiceCollection AddOnnxBackend(this IServiceCollection services)
    {
        services.AddOptions<LocalOptions>().BindConfiguration(LocalOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LocalOptions>, LocalOptionsValidator>());
        services.TryAddSingleton<LocalModelRegistry>();
        services.TryAddSingleton<ILocalModelStatus>(provider => provider.GetRequiredService<LocalModelRegistry>());
        services.TryAddSingleton<ILocalModelRegistration>(provider => provider.GetRequiredService<LocalModelRegistry>());
        services.TryAddKeyedSingleton<IRequestBackend, LocalBackend>(BackendKeys.Local);
        services.TryAddSingleton<ILocalAnswerGenerator, ShadowAnswerGenerator>();
        services.AddHostedService<LocalModelLoader>();
        return services;
    }
}
