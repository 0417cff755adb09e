using System.Data.Common;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace SlmGateway.Conversion.Store;

/// <summary>
/// The trace store: captured calls, task clusters and their changes, shadow results. One schema and
/// one set of statements for SQLite and PostgreSQL (only identity and blob types differ).
/// </summary>
internal sealed class TraceStore : IDisposable
{
    // The parameters of a captured call's insert, in the order of its columns.
    private static readonly string[] CaptureColumns =
        ["at", "key", "model", "route", "reason", "status", "latency", "input", "output", "confidence", "stream", "hash", "cluster", "tools", "signature", "request", "answer", "training", "asked"];

    private readonly Lazy<SqlDialect> _dialect;
    private readonly SemaphoreSlim _schema = new(1, 1);
    private bool _created;

    /// <summary>Nothing is opened or created until the store is first used.</summary>
    public TraceStore(IOptions<LoopOptions> options)
    {
        var capture = options.Value.Capture;
        Kind = capture.Store;
        // Not cached on failure: a store folder that becomes writable is used from the next call on.
        _dialect = new Lazy<SqlDialect>(() => SqlDialect.Create(capture.Store, capture.ConnectionString), LazyThreadSafetyMode.PublicationOnly);
    }

    public string Kind { get; }

    /// <summary>Inserts the records in one transaction, with one statement bound again for each record.</summary>
    public async Task InsertCapturesAsync(IReadOnlyList<CaptureRecord> records, long[] ids, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = Command(connection, """
            INSERT INTO slmgw_captures (created_at, key_id, model, route, reason, status, latency_ms, input_tokens, output_tokens,
                confidence, stream, request_hash, cluster_id, tools, signature, request_json, answer_json, allow_training, model_asked)
            VALUES (@at, @key, @model, @route, @reason, @status, @latency, @input, @output, @confidence, @stream, @hash, @cluster,
                @tools, @signature, @request, @answer, @training, @asked)
            RETURNING id
            """,
            [.. CaptureColumns.Select(name => (name, (object?)null))]);
        command.Transaction = transaction;
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            object?[] values =
            [
                r.CreatedAtMs, r.KeyId, r.Model, r.Route, r.Reason, r.Status, r.LatencyMs, r.InputTokens, r.OutputTokens, r.Confidence,
                r.Stream ? 1 : 0, r.RequestHash, r.ClusterId, r.Tools, r.Signature, r.RequestJson, r.AnswerJson, r.AllowTraining ? 1 : 0, r.ModelAsked,
            ];
            for (var p = 0; p < values.Length; p++)
            {
                Bind(command.Parameters[p], values[p]);
            }

            ids[i] = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Opens the store (creating its tables on first use) and runs the cheapest query: throws while the store fails.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Sets the task cluster of calls already stored.</summary>
    public async Task SetClustersAsync(IReadOnlyList<(long Id, long ClusterId)> calls, CancellationToken cancellationToken)
    {
        if (calls.Count == 0)
        {
            return;
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var (id, clusterId) in calls)
        {
            await using var command = Command(connection, "UPDATE slmgw_captures SET cluster_id = @cluster WHERE id = @id", ("cluster", clusterId), ("id", id));
            command.Transaction = transaction;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<long> CreateClusterAsync(string key, float[] centroid, long atMs, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            "INSERT INTO slmgw_clusters (created_at, task_key, centroid, size, state, state_changed_at) VALUES (@at, @key, @centroid, 1, @state, @at) RETURNING id",
            ("at", atMs), ("key", key), ("centroid", Bytes(centroid)), ("state", ClusterStates.Observed));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task UpdateCentroidsAsync(IEnumerable<(long Id, float[] Centroid, long Size)> clusters, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        foreach (var (id, centroid, size) in clusters)
        {
            await using var command = Command(connection, "UPDATE slmgw_clusters SET centroid = @centroid, size = @size WHERE id = @id",
                ("centroid", Bytes(centroid)), ("size", size), ("id", id));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Every cluster, or those with an id above <paramref name="afterId"/> (started since a replica last looked).</summary>
    public async Task<List<ClusterRow>> ClustersAsync(CancellationToken cancellationToken, long afterId = 0)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "SELECT id, task_key, centroid, size, state, model, state_changed_at FROM slmgw_clusters WHERE id > @after ORDER BY id", ("after", afterId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ClusterRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var blob = (byte[])reader.GetValue(2);
            rows.Add(new ClusterRow(reader.GetInt64(0), reader.GetString(1), MemoryMarshal.Cast<byte, float>(blob).ToArray(), reader.GetInt64(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt64(6)));
        }

        return rows;
    }

    /// <summary>Sets a cluster's state and records the change, in one transaction; false when the cluster does not exist.</summary>
    public async Task<bool> ChangeStateAsync(ClusterEvent change, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = Command(connection, "UPDATE slmgw_clusters SET state = @state, model = @model, state_changed_at = @at WHERE id = @id",
            ("state", change.ToState), ("model", change.Model), ("at", change.AtMs), ("id", change.ClusterId));
        update.Transaction = transaction;
        if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        await using var insert = Command(connection, """
            INSERT INTO slmgw_cluster_events (cluster_id, at, from_state, to_state, model, actor, evidence)
            VALUES (@cluster, @at, @from, @to, @model, @actor, @evidence)
            """,
            ("cluster", change.ClusterId), ("at", change.AtMs), ("from", change.FromState), ("to", change.ToState), ("model", change.Model),
            ("actor", change.Actor), ("evidence", change.Evidence));
        insert.Transaction = transaction;
        await insert.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<List<ClusterEvent>> EventsAsync(long? clusterId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, """
            SELECT cluster_id, at, from_state, to_state, model, actor, evidence FROM slmgw_cluster_events
            WHERE @cluster IS NULL OR cluster_id = @cluster ORDER BY id
            """, ("cluster", clusterId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<ClusterEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new ClusterEvent(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.GetString(6)));
        }

        return events;
    }

    public async Task InsertShadowResultAsync(ShadowResult result, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, """
            INSERT INTO slmgw_shadow_results (capture_id, cluster_id, model, at, agreed, similarity, schema_valid, duration_ms)
            VALUES (@capture, @cluster, @model, @at, @agreed, @similarity, @valid, @duration)
            """,
            ("capture", result.CaptureId), ("cluster", result.ClusterId), ("model", result.Model), ("at", result.AtMs), ("agreed", result.Agreed ? 1 : 0),
            ("similarity", result.Similarity), ("valid", result.SchemaValid ? 1 : 0), ("duration", result.DurationMs));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Shadow evidence per cluster and model, counted since each cluster's last change of state.</summary>
    public async Task<List<ShadowStats>> ShadowStatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, """
            SELECT s.cluster_id, s.model, COUNT(*), SUM(s.agreed), SUM(s.schema_valid), AVG(s.similarity)
            FROM slmgw_shadow_results s JOIN slmgw_clusters c ON c.id = s.cluster_id
            WHERE s.at >= c.state_changed_at
            GROUP BY s.cluster_id, s.model ORDER BY s.cluster_id, s.model
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var stats = new List<ShadowStats>();
        while (await reader.ReadAsync(cancellationToken))
        {
            stats.Add(new ShadowStats(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetDouble(5)));
        }

        return stats;
    }

    /// <summary>Live traffic per cluster since each cluster's last change of state.</summary>
    public async Task<List<TrafficStats>> TrafficStatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, """
            SELECT x.cluster_id, COUNT(*),
                SUM(CASE WHEN x.route = 'remote' THEN 1 ELSE 0 END),
                SUM(CASE WHEN x.route = 'local' THEN 1 ELSE 0 END),
                SUM(CASE WHEN x.reason = 'cluster_promoted' THEN 1 ELSE 0 END),
                SUM(CASE WHEN x.reason LIKE 'escalated%' THEN 1 ELSE 0 END)
            FROM slmgw_captures x JOIN slmgw_clusters c ON c.id = x.cluster_id
            WHERE x.created_at >= c.state_changed_at
            GROUP BY x.cluster_id ORDER BY x.cluster_id
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var stats = new List<TrafficStats>();
        while (await reader.ReadAsync(cancellationToken))
        {
            stats.Add(new TrafficStats(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
        }

        return stats;
    }

    /// <summary>The newest captured calls of a cluster: signature, tools, request and answer (all redacted), route and status.</summary>
    /// <param name="trainableOnly">Only calls whose key and upstream allow training on them (for exports).</param>
    public async Task<List<(string? Signature, string? Tools, string? RequestJson, string? AnswerJson, string? Route, int Status, string? RequestHash)>> ClusterCallsAsync(
        long clusterId, int limit, CancellationToken cancellationToken, bool trainableOnly = false)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"""
            SELECT signature, tools, request_json, answer_json, route, status, request_hash FROM slmgw_captures
            WHERE cluster_id = @cluster {(trainableOnly ? "AND allow_training = 1" : string.Empty)} ORDER BY id DESC LIMIT @limit
            """, ("cluster", clusterId), ("limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var calls = new List<(string?, string?, string?, string?, string?, int, string?)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            calls.Add((Text(reader, 0), Text(reader, 1), Text(reader, 2), Text(reader, 3), Text(reader, 4), reader.GetInt32(5), Text(reader, 6)));
        }

        return calls;
    }

    /// <summary>
    /// Captured calls answered by a local candidate in shadow, newest first, each with whether that
    /// answer agreed (the newest shadow result of the call) and its redacted request: the router's evidence.
    /// </summary>
    public async Task<List<(long CaptureId, bool Agreed, string RequestJson)>> ShadowEvidenceAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, """
            SELECT c.id, s.agreed, c.request_json FROM slmgw_captures c
            JOIN slmgw_shadow_results s ON s.capture_id = c.id
            WHERE c.request_json IS NOT NULL AND s.id = (SELECT MAX(s2.id) FROM slmgw_shadow_results s2 WHERE s2.capture_id = c.id)
            ORDER BY c.id DESC LIMIT @limit
            """, ("limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var evidence = new List<(long, bool, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            evidence.Add((reader.GetInt64(0), Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture) != 0, reader.GetString(2)));
        }

        return evidence;
    }

    public async Task<long> CountCapturesAsync(string? keyId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "SELECT COUNT(*) FROM slmgw_captures WHERE @key IS NULL OR key_id = @key", ("key", keyId));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Deletes captured calls (and their shadow results) of a key, older than a time, or both; returns how many calls.</summary>
    /// <summary>Deletes the captured calls of a key, older than a time, of a cluster (any combination), and the shadow results derived from them.</summary>
    public async Task<long> DeleteCapturesAsync(string? keyId, long? beforeMs, CancellationToken cancellationToken, long? clusterId = null)
    {
        const string Match = "(@key IS NULL OR key_id = @key) AND (@before IS NULL OR created_at < @before) AND (@cluster IS NULL OR cluster_id = @cluster)";
        (string, object?)[] parameters = [("key", keyId), ("before", beforeMs), ("cluster", clusterId)];
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var shadows = Command(connection, $"DELETE FROM slmgw_shadow_results WHERE capture_id IN (SELECT id FROM slmgw_captures WHERE {Match})", parameters);
        shadows.Transaction = transaction;
        await shadows.ExecuteNonQueryAsync(cancellationToken);
        await using var captures = Command(connection, $"DELETE FROM slmgw_captures WHERE {Match}", parameters);
        captures.Transaction = transaction;
        var deleted = await captures.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    /// <summary>Retention for the tables besides captures: shadow results and cluster events older than <paramref name="beforeMs"/>.</summary>
    public async Task PruneAsync(long beforeMs, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        foreach (var table in (string[])["slmgw_shadow_results", "slmgw_cluster_events"])
        {
            await using var command = Command(connection, $"DELETE FROM {table} WHERE at < @before", ("before", beforeMs));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public void Dispose()
    {
        if (_dialect.IsValueCreated)
        {
            _dialect.Value.Dispose();
        }

        _schema.Dispose();
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        DbConnection connection;
        try
        {
            connection = await _dialect.Value.OpenAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            throw new TraceStoreUnavailableException($"The trace store cannot be opened: {ex.Message}", ex);
        }

        if (!_created)
        {
            await CreateSchemaAsync(connection, cancellationToken);
        }

        return connection;
    }

    private async Task CreateSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await _schema.WaitAsync(cancellationToken);
        try
        {
            if (_created)
            {
                return;
            }

            var (id, blob) = (_dialect.Value.Identity, _dialect.Value.Blob);
            string[] statements =
            [
                .. _dialect.Value.Setup(),
                $"""
                CREATE TABLE IF NOT EXISTS slmgw_captures (id {id}, created_at BIGINT NOT NULL, key_id TEXT, model TEXT, route TEXT, reason TEXT,
                    status INTEGER NOT NULL, latency_ms DOUBLE PRECISION NOT NULL, input_tokens INTEGER, output_tokens INTEGER, confidence DOUBLE PRECISION,
                    stream INTEGER NOT NULL, request_hash TEXT, cluster_id BIGINT, tools TEXT, signature TEXT, request_json TEXT, answer_json TEXT,
                    allow_training INTEGER NOT NULL DEFAULT 1)
                """,
                "CREATE INDEX IF NOT EXISTS slmgw_captures_created ON slmgw_captures (created_at)",
                "CREATE INDEX IF NOT EXISTS slmgw_captures_key ON slmgw_captures (key_id)",
                "CREATE INDEX IF NOT EXISTS slmgw_captures_cluster ON slmgw_captures (cluster_id, created_at)",
                $"""
                CREATE TABLE IF NOT EXISTS slmgw_clusters (id {id}, created_at BIGINT NOT NULL, task_key TEXT NOT NULL, centroid {blob} NOT NULL, size BIGINT NOT NULL,
                    state TEXT NOT NULL, model TEXT, state_changed_at BIGINT NOT NULL)
                """,
                $"""
                CREATE TABLE IF NOT EXISTS slmgw_cluster_events (id {id}, cluster_id BIGINT NOT NULL, at BIGINT NOT NULL, from_state TEXT NOT NULL,
                    to_state TEXT NOT NULL, model TEXT, actor TEXT NOT NULL, evidence TEXT NOT NULL)
                """,
                $"""
                CREATE TABLE IF NOT EXISTS slmgw_shadow_results (id {id}, capture_id BIGINT NOT NULL, cluster_id BIGINT NOT NULL, model TEXT NOT NULL,
                    at BIGINT NOT NULL, agreed INTEGER NOT NULL, similarity DOUBLE PRECISION NOT NULL, schema_valid INTEGER NOT NULL, duration_ms DOUBLE PRECISION NOT NULL)
                """,
                "CREATE INDEX IF NOT EXISTS slmgw_shadow_cluster ON slmgw_shadow_results (cluster_id, at)",
            ];
            foreach (var statement in statements)
            {
                await using var command = Command(connection, statement);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await AddColumnAsync(connection, "slmgw_captures", "allow_training INTEGER NOT NULL DEFAULT 1", cancellationToken);
            await AddColumnAsync(connection, "slmgw_captures", "model_asked TEXT", cancellationToken);
            _created = true;
        }
        finally
        {
            _schema.Release();
        }
    }

    /// <summary>A column added after a store was first created: added to older stores, left alone where it exists.</summary>
    private static async Task AddColumnAsync(DbConnection connection, string table, string column, CancellationToken cancellationToken)
    {
        await using var probe = Command(connection, $"SELECT {column.Split(' ')[0]} FROM {table} WHERE 1 = 0");
        try
        {
            await probe.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (DbException)
        {
            await using var add = Command(connection, $"ALTER TABLE {table} ADD COLUMN {column}");
            await add.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            Bind(parameter, value);
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static void Bind(DbParameter parameter, object? value)
    {
        parameter.Value = value ?? DBNull.Value;
        if (value is not null)
        {
            parameter.ResetDbType();
            return;
        }

        // PostgreSQL must know a null's type, for the column it fills or the comparison it is in.
        parameter.DbType = parameter.ParameterName switch
        {
            "input" or "output" or "cluster" or "before" => System.Data.DbType.Int64,
            "confidence" => System.Data.DbType.Double,
            _ => System.Data.DbType.String,
        };
    }

    private static byte[] Bytes(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
