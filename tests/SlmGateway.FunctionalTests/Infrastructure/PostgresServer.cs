using System.Diagnostics;
using Npgsql;

namespace SlmGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A real PostgreSQL server (Debian's <c>postgresql</c> package, which <c>.ci/run</c> installs) in a
/// temporary folder on a free port, run as the <c>postgres</c> user when the tests run as root. Each
/// test takes a database of its own from <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string User = "slmgw";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"slmgw-postgres-{Guid.NewGuid():N}");
    private Process? _process;
    private int _port;

    public async Task InitializeAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).FirstOrDefault(b => File.Exists(Path.Combine(b, "initdb")))
            : null;
        Assert.True(bin is not null, "PostgreSQL is needed under /usr/lib/postgresql/*/bin (apt-get install postgresql; .ci/run installs it).");
        Directory.CreateDirectory(_folder);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", "postgres", _folder);
        }

        var data = Path.Combine(_folder, "data");
        await RunAsync(asRoot, Path.Combine(bin!, "initdb"), "-D", data, "-A", "trust", "-U", User, "--no-sync", "-E", "UTF8");
        _port = FreePort.Next();
        _process = Start(asRoot, Path.Combine(bin!, "postgres"), "-D", data, "-p", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", _folder,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
        for (var attempt = 0; attempt < 150; attempt++)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("PostgreSQL did not accept connections within 15 s.");
    }

    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={_port};Username={User};Database={database};Pooling=true";

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static Process Start(bool asRoot, string program, params string[] arguments) =>
        asRoot ? QuietProcess.Start("runuser", ["-u", "postgres", "--", program, .. arguments]) : QuietProcess.Start(program, arguments);

    private static Task RunAsync(string program, params string[] arguments) => RunAsync(false, program, arguments);

    private static async Task RunAsync(bool asRoot, string program, params string[] arguments)
    {
        using var process = Start(asRoot, program, arguments);
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}.");
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
