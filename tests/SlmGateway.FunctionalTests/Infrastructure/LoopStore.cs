using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace SlmGateway.FunctionalTests.Infrastructure;

/// <summary>A trace store for one test (a temporary SQLite file or a fresh PostgreSQL database), read directly with SQL.</summary>
public sealed record LoopStore(string Kind, string ConnectionString)
{
    public const string AdminKey = "test-admin-key";

    public static string AdminKeySha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AdminKey)));

    public static async Task<LoopStore> CreateAsync(string kind, PostgresServer postgres) =>
        kind == "postgres"
            ? new LoopStore(kind, await postgres.CreateDatabaseAsync())
            : new LoopStore(kind, $"Data Source={Path.Combine(Path.GetTempPath(), $"slmgw-traces-{Guid.NewGuid():N}.db")}");

    public async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = Kind == "postgres" ? new NpgsqlConnection(ConnectionString) : new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Each stored row of a query, as column name → value (null for SQL NULL).</summary>
    public async Task<List<Dictionary<string, object?>>> QueryAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    public async Task<long> CountAsync(string where = "1 = 1") =>
        Convert.ToInt64((await QueryAsync($"SELECT COUNT(*) AS n FROM slmgw_captures WHERE {where}"))[0]["n"], System.Globalization.CultureInfo.InvariantCulture);
}
