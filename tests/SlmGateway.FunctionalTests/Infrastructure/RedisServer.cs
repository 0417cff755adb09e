using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace SlmGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A real Redis server (Debian's <c>redis-server</c>, which <c>tests/run.sh</c> installs) on a free
/// port, without persistence. Each test takes a key prefix of its own by using its own client key ids.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private Process? _process;

    public int Port { get; private set; }

    public string Configuration => $"127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists("/usr/bin/redis-server"), "Redis is needed at /usr/bin/redis-server (apt-get install redis-server; tests/run.sh installs it).");
        Port = FreePort.Next();
        _process = QuietProcess.Start("/usr/bin/redis-server", ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("Redis did not accept connections within 10 s.");
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "Redis";
}

/// <summary>Limits count in wall-clock minutes: a test that needs its requests in one minute starts away from a minute's end.</summary>
public static class MinuteWindow
{
    public static async Task AwayFromItsEndAsync()
    {
        // At least 15 s of the minute left: enough for a few requests on a loaded machine.
        var second = DateTimeOffset.UtcNow.Second;
        if (second >= 45)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - second));
        }
    }
}
