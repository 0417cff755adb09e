using System.Text.Json.Nodes;

namespace SlmGateway.Conversion.Store;

/// <summary>One captured call as stored: redacted request and answer, the route it took and what it cost.</summary>
internal sealed record CaptureRecord(
    long CreatedAtMs,
    string? KeyId,
    string? Model,
    string? Route,
    string? Reason,
    int Status,
    double LatencyMs,
    int? InputTokens,
    int? OutputTokens,
    double? Confidence,
    bool Stream,
    string? RequestHash,
    long? ClusterId,
    string? Tools,
    string? Signature,
    string? RequestJson,
    string? AnswerJson)
{
    /// <summary>The client key and the upstream that answered allow training on this call (exports leave it out otherwise).</summary>
    public bool AllowTraining { get; init; } = true;

    /// <summary>The model the client named (<c>auto</c>, an alias, a model), where <see cref="Model"/> is the one that answered.</summary>
    public string? ModelAsked { get; init; }
}

/// <summary>A task cluster: its key (see <c>TaskSignature.Key</c>), its centre in embedding space, its size and its routing state.</summary>
internal sealed record ClusterRow(long Id, string Key, float[] Centroid, long Size, string State, string? Model, long StateChangedAtMs);

/// <summary>A change of a cluster's state, with the evidence it was made on.</summary>
internal sealed record ClusterEvent(long ClusterId, long AtMs, string FromState, string ToState, string? Model, string Actor, string Evidence);

/// <summary>How a local candidate's shadow answer compared with the remote model's.</summary>
internal sealed record ShadowResult(long CaptureId, long ClusterId, string Model, long AtMs, bool Agreed, double Similarity, bool SchemaValid, double DurationMs);

/// <summary>Shadow evidence for one cluster and model since the cluster's last change.</summary>
internal sealed record ShadowStats(long ClusterId, string Model, long Samples, long Agreed, long SchemaValid, double MeanSimilarity)
{
    public double Agreement => Samples == 0 ? 0 : (double)Agreed / Samples;

    /// <summary>The share of answers that pass validation: serving would send these and escalate the rest.</summary>
    public double Validated => Samples == 0 ? 0 : (double)SchemaValid / Samples;

    /// <summary>Agreement among the answers that pass validation: how often what serving sends is right.</summary>
    public double ValidatedAgreement => SchemaValid == 0 ? 0 : (double)Agreed / SchemaValid;

    /// <summary>As the admin API and the promotion evidence show it.</summary>
    public JsonObject ToJson() => new()
    {
        ["model"] = Model,
        ["samples"] = Samples,
        ["agreed"] = Agreed,
        ["agreement"] = Math.Round(Agreement, 4),
        ["schema_valid"] = SchemaValid,
        ["validated_agreement"] = Math.Round(ValidatedAgreement, 4),
        ["mean_similarity"] = Math.Round(MeanSimilarity, 4),
    };
}

/// <summary>Live traffic of one cluster since its last change: captured calls, by route, and escalations.</summary>
internal sealed record TrafficStats(long ClusterId, long Calls, long Remote, long Local, long PromotedServed, long Escalated);

/// <summary>The states a cluster can be in.</summary>
internal static class ClusterStates
{
    /// <summary>Routed by the classifier as any request; shadow evidence is being gathered.</summary>
    public const string Observed = "observed";

    /// <summary>Served by its local model.</summary>
    public const string Promoted = "promoted";

    /// <summary>Served remotely until new evidence promotes it again.</summary>
    public const string Demoted = "demoted";
}
