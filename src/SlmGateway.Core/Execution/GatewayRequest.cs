using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Routing;

namespace SlmGateway.Core.Execution;

public enum ApiEndpoint
{
    ChatCompletions,
    Completions,
    Embeddings,
    Responses,
}

/// <summary>
/// A request as the front door accepted it: the raw body (forwarded as sent), the parsed chat request
/// where there is one, and who sent it.
/// </summary>
public sealed record GatewayRequest(
    ApiEndpoint Endpoint,
    string Model,
    ReadOnlyMemory<byte> Body,
    ChatCompletionRequest? Chat,
    bool Stream,
    string? ClientKeyId)
{
    /// <summary>The chat request's shape, read once after validation; null for other endpoints.</summary>
    public RequestShape? Shape { get; init; }
}
