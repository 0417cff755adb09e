namespace SlmGateway.Core.Routing;

/// <summary>One upstream that serves a public model, and the name the upstream knows it by.</summary>
public sealed record UpstreamTarget(string Upstream, string UpstreamModel);

/// <summary>Where a public model name can be served: a local model if one has the name, and remote upstreams in fallback order.</summary>
public sealed record ModelRoute(string Model, IReadOnlyList<UpstreamTarget> Remote, string? Local = null);
