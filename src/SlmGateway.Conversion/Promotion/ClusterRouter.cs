using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Conversion.Clustering;
using SlmGateway.Conversion.Redaction;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Ports;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Conversion.Promotion;

/// <summary>
/// Sends a request whose task falls in a promoted cluster to that cluster's local model (with the
/// model's LoRA adapter for the cluster, when it registers one), and one in a demoted cluster to
/// remote. Embeds the request only while some cluster is promoted or demoted.
/// </summary>
internal sealed class ClusterRouter(ClusterIndex clusters, PiiRedactor redactor, ITextEmbedder embedder, IOptionsMonitor<LocalOptions> local) : IClusterRouting
{
    private readonly CachingEmbedder _systemPrompts = new(embedder);

    public ClusterRoutingDecision? Decide(ChatCompletionRequest request)
    {
        if (!clusters.AnyDecided || request.Messages is not { Count: > 0 })
        {
            return null;
        }

        var cluster = clusters.Nearest(TaskSignature.Key(request), TaskSignature.Embed(embedder, redactor.Redact(TaskSignature.Of(request)), _systemPrompts));
        return cluster?.State switch
        {
            ClusterStates.Promoted => new ClusterRoutingDecision(
                new RoutingDecision(BackendKeys.Local, RoutingReasons.ClusterPromoted, 1) { Adapter = LocalAdapterOptions.For(Model(cluster.Model), cluster.Id) },
                cluster.Id,
                cluster.Model),
            ClusterStates.Demoted => new ClusterRoutingDecision(new RoutingDecision(BackendKeys.Remote, RoutingReasons.ClusterDemoted, 0), cluster.Id, null),
            _ => null,
        };
    }

    private LocalModelOptions? Model(string? name) => local.CurrentValue.Models.FirstOrDefault(m => m.Name == name);
}
