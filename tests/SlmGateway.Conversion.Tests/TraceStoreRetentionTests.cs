using Microsoft.Extensions.Options;
using SlmGateway.Conversion.Store;

namespace SlmGateway.Conversion.Tests;

/// <summary>Retention reaches every table: old captures with their shadow results, old shadow results and old cluster events.</summary>
public sealed class TraceStoreRetentionTests : IDisposable
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"slmgw-retention-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task OldRowsOfEveryTable_AreDeleted_RecentOnesKept()
    {
        using var store = new TraceStore(Options.Create(new LoopOptions { Capture = { ConnectionString = $"Data Source={_database}" } }));
        var cancel = CancellationToken.None;
        var (old, recent, cutoff) = (1_000L, 10_000L, 5_000L);
        var cluster = await store.CreateClusterAsync("chat", [1f, 0f], old, cancel);
        var ids = new long[2];
        await store.InsertCapturesAsync([Record(old, cluster), Record(recent, cluster)], ids, cancel);
        await store.InsertShadowResultAsync(new ShadowResult(ids[0], cluster, "tiny", old, true, 1, true, 5), cancel);
        await store.InsertShadowResultAsync(new ShadowResult(ids[1], cluster, "tiny", recent, true, 1, true, 5), cancel);
        await store.ChangeStateAsync(new ClusterEvent(cluster, old, ClusterStates.Observed, ClusterStates.Promoted, "tiny", "test", "{}"), cancel);
        await store.ChangeStateAsync(new ClusterEvent(cluster, recent, ClusterStates.Promoted, ClusterStates.Demoted, "tiny", "test", "{}"), cancel);

        await store.DeleteCapturesAsync(null, cutoff, cancel);
        await store.PruneAsync(cutoff, cancel);

        Assert.Equal(1, await store.CountCapturesAsync(null, cancel));
        Assert.Equal([recent], (await store.EventsAsync(cluster, cancel)).Select(e => e.AtMs));
        Assert.Equal([recent], await AtOfEveryShadowResultAsync());
    }

    private async Task<List<long>> AtOfEveryShadowResultAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_database}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT at FROM slmgw_shadow_results";
        await using var reader = await command.ExecuteReaderAsync();
        var at = new List<long>();
        while (await reader.ReadAsync())
        {
            at.Add(reader.GetInt64(0));
        }

        return at;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_database);
    }

    private static CaptureRecord Record(long atMs, long cluster) =>
        new(atMs, "key", "gpt", "remote", "explicit_model", 200, 1, 1, 1, null, false, $"hash-{atMs}", cluster, null, "sig", "{}", "{}");
}
