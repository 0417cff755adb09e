using SlmGateway.Contracts.Chat;

namespace SlmGateway.Conversion.Capture;

/// <summary>A call as the request path hands it over: raw bytes and what the trace knew; everything else happens off the path.</summary>
internal sealed record CapturedCall(
    DateTimeOffset At,
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
    byte[]? Request,
    byte[]? Response)
{
    /// <summary>The chat request the front door parsed from <see cref="Request"/>, when it handed it over.</summary>
    public ChatCompletionRequest? Chat { get; init; }

    /// <summary>The client key and the upstream that answered allow training on this call.</summary>
    public bool AllowTraining { get; init; } = true;
}
