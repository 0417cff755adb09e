namespace SlmGateway.Host.Security;

/// <summary>The client key a request was authenticated with.</summary>
internal sealed record ClientKeyFeature(ClientKey Key);
