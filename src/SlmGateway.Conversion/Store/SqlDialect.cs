using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace SlmGateway.Conversion.Store;

/// <summary>What differs between SQLite and PostgreSQL for the trace store: connections, identity and blob column types.</summary>
internal sealed class SqlDialect : IDisposable
{
    private readonly NpgsqlDataSource? _postgres;
    private readonly string _sqlite = string.Empty;

    private SqlDialect(string name, string identity, string blob, NpgsqlDataSource? postgres, string sqlite)
    {
        (Name, Identity, Blob, _postgres, _sqlite) = (name, identity, blob, postgres, sqlite);
    }

    public string Name { get; }

    public string Identity { get; }

    public string Blob { get; }

    public static SqlDialect Create(string store, string connectionString)
    {
        if (store == "postgres")
        {
            return new SqlDialect(store, "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "BYTEA", NpgsqlDataSource.Create(connectionString), string.Empty);
        }

        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } folder)
        {
            Directory.CreateDirectory(folder);
        }

        return new SqlDialect(store, "INTEGER PRIMARY KEY", "BLOB", null, builder.ToString());
    }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken);
        }

        var connection = new SqliteConnection(_sqlite);
        await connection.OpenAsync(cancellationToken);
        // With the write-ahead log, NORMAL syncs at checkpoints instead of at every commit: a crash of
        // the process loses nothing, a power loss at most the last commits of a trace store.
        await using var synchronous = connection.CreateCommand();
        synchronous.CommandText = "PRAGMA synchronous=NORMAL";
        await synchronous.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>Statements run once when the store opens (SQLite: write-ahead log, so readers never wait for the writer).</summary>
    public IEnumerable<string> Setup() => _postgres is null ? ["PRAGMA journal_mode=WAL"] : [];

    public void Dispose() => _postgres?.Dispose();
}
