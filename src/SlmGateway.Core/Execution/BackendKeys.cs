namespace SlmGateway.Core.Execution;

/// <summary>The keys under which the backends are registered, also the values of <c>x-slmgw-route</c>.</summary>
public static class BackendKeys
{
    public const string Local = "local";
    public const string Remote = "remote";
}
