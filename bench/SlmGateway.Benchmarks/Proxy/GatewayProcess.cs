using System.Reflection;

namespace SlmGateway.Benchmarks.Proxy;

/// <summary>Runs the real gateway (the Host project's entry point) with the arguments it is given.</summary>
internal static class GatewayProcess
{
    public static int Run(string[] args)
    {
        var entryPoint = Assembly.Load("SlmGateway").EntryPoint
            ?? throw new InvalidOperationException("The gateway assembly has no entry point.");
        entryPoint.Invoke(null, [args]);
        return 0;
    }
}
