namespace SlmGateway.Conversion.Store;

/// <summary>
/// Whether the trace store took its last write, for <c>/readyz</c> and <c>/admin/loop</c>: a failure is
/// shown until a later write succeeds (the store is opened afresh each time, so it recovers by itself).
/// </summary>
public sealed class TraceStoreHealth
{
    private volatile string? _error;

    /// <summary>The last failure's message while the store is failing; null when its last write succeeded.</summary>
    public string? Error => _error;

    internal void Succeeded() => _error = null;

    internal void Failed(string error) => _error = error;
}
