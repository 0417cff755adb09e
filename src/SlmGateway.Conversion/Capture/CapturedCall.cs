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
    byte[]? Response);
