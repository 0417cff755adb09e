using System.Text.Json.Serialization;

namespace SlmGateway.Contracts.Models;

/// <summary>One entry of <c>GET /v1/models</c>.</summary>
public sealed record ModelInfo(
    string Id,
    [property: JsonPropertyName("object")] string Object,
    long Created,
    string OwnedBy);

public sealed record ModelList(
    [property: JsonPropertyName("object")] string Object,
    IReadOnlyList<ModelInfo> Data);
