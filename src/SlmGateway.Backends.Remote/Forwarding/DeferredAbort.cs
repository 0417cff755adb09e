using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SlmGateway.Backends.Remote.Forwarding;

/// <summary>
/// While YARP forwards, holds back its abort of the client connection when the upstream breaks
/// mid-response, so that a stream gets an SSE error event before its connection is cut.
/// </summary>
internal sealed class DeferredAbort : IHttpRequestLifetimeFeature
{
    private readonly HttpContext _context;
    private readonly IHttpRequestLifetimeFeature _inner;
    private readonly IHttpResetFeature? _reset;

    private DeferredAbort(HttpContext context, IHttpRequestLifetimeFeature inner, IHttpResetFeature? reset)
    {
        _context = context;
        _inner = inner;
        _reset = reset;
    }

    public bool AbortRequested { get; private set; }

    public CancellationToken RequestAborted
    {
        get => _inner.RequestAborted;
        set => _inner.RequestAborted = value;
    }

    public static DeferredAbort Install(HttpContext context)
    {
        var inner = context.Features.GetRequiredFeature<IHttpRequestLifetimeFeature>();
        var reset = context.Features.Get<IHttpResetFeature>();
        var deferred = new DeferredAbort(context, inner, reset);
        context.Features.Set<IHttpRequestLifetimeFeature>(deferred);
        context.Features.Set<IHttpResetFeature>(null);
        return deferred;
    }

    public void Abort() => AbortRequested = true;

    /// <summary>Puts the server's features back.</summary>
    public void Uninstall()
    {
        _context.Features.Set(_inner);
        _context.Features.Set(_reset);
    }

    /// <summary>Aborts the client connection for real.</summary>
    public void AbortNow() => _inner.Abort();
}
