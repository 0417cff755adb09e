using SlmGateway.Contracts.Chat;

namespace SlmGateway.Core.Ports;

/// <summary>Runs a local model on a request off the request path (shadow evaluation), only when the model is idle.</summary>
public interface ILocalAnswerGenerator
{
    /// <summary>The local model's answer (rejected as <c>unsupported</c> when the model cannot take the request), or null while the model is busy or not loaded.</summary>
    ValueTask<LocalShadowAnswer?> TryAnswerAsync(string model, string? adapter, ChatCompletionRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// What a local model answered: text or tool calls, and why the router would have rejected the answer
/// (<c>tool_call</c>, <c>schema</c>, <c>unsupported</c>), or null when it is well formed.
/// </summary>
public sealed record LocalShadowAnswer(string? Content, IReadOnlyList<ToolCall>? ToolCalls, string? Rejection, TimeSpan Duration);
