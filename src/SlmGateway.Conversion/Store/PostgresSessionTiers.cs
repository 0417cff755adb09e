using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Diagnostics;
using SlmGateway.Core.Ports;
using SlmGateway.Core.Routing;

namespace SlmGateway.Conversion.Store;

/// <summary>
/// Session tiers in PostgreSQL, seen by every replica (<c>Sessions:Store: postgres</c>). A read per
/// later step of a conversation, a write when a conversation starts or its tier moves (local to
/// remote; for a later step the statement itself never lowers a remote tier). When the database cannot answer, the request is
/// routed as if the session were new (logged and counted in <c>slmgw_session_store_failures_total</c>).
/// </summary>
public sealed partial class PostgresSessionTiers : ISessionTiers, IDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly TimeSpan _idle;
    private readonly ILogger<PostgresSessionTiers> _logger;
    private readonly GatewayMetrics _metrics;
    private readonly SemaphoreSlim _schema = new(1, 1);
    private bool _created;
    private long _prunedAt;

    public PostgresSessionTiers(IOptions<RoutingOptions> options, GatewayMetrics metrics, ILogger<PostgresSessionTiers> logger)
    {
        var sessions = options.Value.Sessions;
        // RoutingOptionsValidator has made sure there is one.
        _source = NpgsqlDataSource.Create(sessions.ConnectionString!);
        (_idle, _metrics, _logger) = (sessions.IdleTimeout, metrics, logger);
    }

    public async ValueTask<SessionTier?> FindAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await EnsureSchemaAsync(cancellationToken);
            await using var command = _source.CreateCommand("SELECT tier, model FROM slmgw_sessions WHERE session_key = $1 AND seen_at > $2");
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            command.Parameters.Add(new NpgsqlParameter { Value = Now() - (long)_idle.TotalMilliseconds });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? new SessionTier(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)) : null;
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            Failed(exception);
            return null;
        }
    }

    public async ValueTask RecordAsync(string key, SessionTier tier, bool startsSession, CancellationToken cancellationToken)
    {
        try
        {
            await EnsureSchemaAsync(cancellationToken);
            await using var command = _source.CreateCommand("""
                INSERT INTO slmgw_sessions (session_key, tier, model, seen_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (session_key) DO UPDATE SET tier = excluded.tier, model = excluded.model, seen_at = excluded.seen_at
                WHERE $6 OR slmgw_sessions.tier <> 'remote' OR slmgw_sessions.seen_at <= $5
                """);
            var now = Now();
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            command.Parameters.Add(new NpgsqlParameter { Value = tier.Tier });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)tier.Model ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter { Value = now });
            command.Parameters.Add(new NpgsqlParameter { Value = now - (long)_idle.TotalMilliseconds });
            command.Parameters.Add(new NpgsqlParameter { Value = startsSession });
            await command.ExecuteNonQueryAsync(cancellationToken);
            await PruneAsync(now, cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            Failed(exception);
        }
    }

    public void Dispose()
    {
        _source.Dispose();
        _schema.Dispose();
    }

    /// <summary>Forgets idle sessions, at most once a minute (by whichever replica writes first).</summary>
    private async Task PruneAsync(long now, CancellationToken cancellationToken)
    {
        var last = Interlocked.Read(ref _prunedAt);
        if (now - last < 60_000 || Interlocked.CompareExchange(ref _prunedAt, now, last) != last)
        {
            return;
        }

        await using var command = _source.CreateCommand("DELETE FROM slmgw_sessions WHERE seen_at <= $1");
        command.Parameters.Add(new NpgsqlParameter { Value = now - (long)_idle.TotalMilliseconds });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return;
        }

        await _schema.WaitAsync(cancellationToken);
        try
        {
            if (!_created)
            {
                await using var command = _source.CreateCommand("""
                    CREATE TABLE IF NOT EXISTS slmgw_sessions (session_key TEXT PRIMARY KEY, tier TEXT NOT NULL, model TEXT, seen_at BIGINT NOT NULL);
                    CREATE INDEX IF NOT EXISTS slmgw_sessions_seen ON slmgw_sessions (seen_at)
                    """);
                await command.ExecuteNonQueryAsync(cancellationToken);
                _created = true;
            }
        }
        finally
        {
            _schema.Release();
        }
    }

    private void Failed(Exception exception)
    {
        _metrics.SessionStoreFailures.Add(1);
        LogFailed(_logger, exception.Message);
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session store unavailable, request routed as a new session: {Problem}")]
    private static partial void LogFailed(ILogger logger, string problem);
}
