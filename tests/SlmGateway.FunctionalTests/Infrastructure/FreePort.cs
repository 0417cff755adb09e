using System.Net;
using System.Net.Sockets;

namespace SlmGateway.FunctionalTests.Infrastructure;

public static class FreePort
{
    /// <summary>A loopback URL on which nothing listens: connections to it are refused.</summary>
    public static string RefusingBaseUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}/v1";
    }
}
