using SlmGateway.Contracts.Chat;

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
    /// <summary>Serve the local answer as it is, without validation: the remote model has already failed.</summary>
    public bool AcceptLocalAsIs { get; init; }

    /// <summary>The local model's LoRA adapter for this request's task cluster, when it has one.</summary>
    public string? Adapter { get; init; }
}
