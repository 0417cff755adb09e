namespace SlmGateway.Backends.Remote.Resilience;

internal enum AttemptKind
{
    /// <summary>The upstream's answer reached the client (a success or a 4xx passed through).</summary>
    Served,

    /// <summary>The upstream answered 429 or 5xx; nothing was sent to the client.</summary>
    RetryableStatus,

    /// <summary>The upstream could not be reached or broke before anything was sent to the client.</summary>
    ConnectionFailed,

    /// <summary>No response headers within the first-byte timeout (or the connect timeout).</summary>
    TimedOut,

    /// <summary>
    /// The upstream answered something no OpenAI client can take (a redirect, a success that is neither
    /// JSON nor an event stream); nothing was sent to the client; not retried, the next upstream is tried.
    /// </summary>
    InvalidAnswer,

    /// <summary>The upstream broke after the response was committed; never retried.</summary>
    FailedAfterCommit,

    /// <summary>The client went away.</summary>
    ClientCanceled,
}

/// <summary>The outcome of one forwarding attempt, as the Polly pipeline sees it.</summary>
internal sealed record AttemptResult(AttemptKind Kind, int StatusCode, TimeSpan? RetryAfter = null, byte[]? ErrorBody = null, string? ErrorContentType = null)
{
    public static readonly AttemptResult ClientGone = new(AttemptKind.ClientCanceled, 499);

    public bool IsTransient => Kind is AttemptKind.RetryableStatus or AttemptKind.ConnectionFailed or AttemptKind.TimedOut;

    public bool CountsAsUpstreamFailure => IsTransient || Kind is AttemptKind.FailedAfterCommit or AttemptKind.InvalidAnswer;

    public bool Committed => Kind is AttemptKind.Served or AttemptKind.FailedAfterCommit;
}
