using System.Net;
using System.Net.Sockets;

namespace SlmGateway.FunctionalTests.Infrastructure;

public static class FreePort
{
    /// <summary>A loopback URL on which nothing listens: connections to it are refused.</summary>
    public static string RefusingBaseUrl() => $"http://127.0.0.1:{Next()}/v1";

    /// <summary>A loopback port that was free a moment ago.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
