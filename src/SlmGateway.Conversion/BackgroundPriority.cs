namespace SlmGateway.Conversion;

/// <summary>The scheduling policy of a <see cref="BackgroundThread"/>.</summary>
internal enum BackgroundPriority
{
    /// <summary>
    /// Scheduled like request threads: for work whose CPU is bounded by other means (capture's rate
    /// cap). The garbage collector never waits on such a thread for the core.
    /// </summary>
    Normal,

    /// <summary>
    /// Linux's idle policy (lowest priority elsewhere): for work with no bound of its own, which
    /// then gets only what requests leave.
    /// </summary>
    Idle,
}
