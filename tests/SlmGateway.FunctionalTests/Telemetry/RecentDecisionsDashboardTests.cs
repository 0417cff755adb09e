using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Telemetry;

/// <summary>
/// The "Recent decisions" dashboard's SQL, with Grafana's macros and variables filled as Grafana
/// fills them, against a real PostgreSQL trace store that a gateway wrote: every panel returns rows,
/// the table has every column an operator looks for, and the key filter filters.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class RecentDecisionsDashboardTests(PostgresServer postgres)
{
    private static readonly string[] Columns =
        ["time", "key", "model asked", "route", "reason", "resolved model", "confidence", "latency (ms)", "input tokens", "output tokens", "cluster", "status"];

    [Fact]
    public async Task EveryPanel_ReturnsRows_FromTheStoreAGatewayWrote_AndTheFiltersFilter()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var store = await LoopStore.CreateAsync("postgres", postgres);
        await using (var gateway = new GatewayFactory(new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom)
            .Upstream("fake", upstream.BaseUrl, "gpt-4o-mini")
            .AutoRouting("tiny-random", "gpt-4o-mini")
            .ClientKey("team-a", Sha256("key-a"))
            .ClientKey("team-b", Sha256("key-b"))
            .Capture(store)))
        {
            await SendAsync(gateway, "key-a", "gpt-4o-mini", "Hello");
            await SendAsync(gateway, "key-a", "auto", "Write a persuasive essay on whether cities should ban cars, with counterarguments.");
            await SendAsync(gateway, "key-b", "tiny-random", "Hello");
            using var admin = new AdminClient(gateway);
            await admin.SettledCaptureAsync(3);
        }

        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "deploy", "grafana", "dashboards", "recent-decisions.json")));
        var variables = dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray().ToList();
        Assert.Contains(variables, v => v.GetProperty("type").GetString() == "datasource" && v.GetProperty("query").GetString() == "grafana-postgresql-datasource");
        await using var connection = new NpgsqlConnection(store.ConnectionString);
        await connection.OpenAsync();

        // "All" of each variable is every value its own query finds, as Grafana expands it.
        var all = new Dictionary<string, List<string>>();
        foreach (var variable in variables.Where(v => v.GetProperty("type").GetString() == "query"))
        {
            all[variable.GetProperty("name").GetString()!] = (await QueryAsync(connection, variable.GetProperty("query").GetString()!)).Select(row => (string)row[0]!).ToList();
        }

        Assert.Equal(["team-a", "team-b"], all["key"]);
        Assert.Contains("semantic_remote", all["reason"]);
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            var sql = panel.GetProperty("targets")[0].GetProperty("rawSql").GetString()!;
            var rows = await QueryAsync(connection, Fill(sql, all), columns: panel.GetProperty("type").GetString() == "table" ? Columns : null);
            Assert.True(rows.Count > 0, $"{panel.GetProperty("title").GetString()}: no rows");
        }

        var table = dashboard.RootElement.GetProperty("panels").EnumerateArray().Single(p => p.GetProperty("type").GetString() == "table");
        var onlyB = await QueryAsync(connection, Fill(table.GetProperty("targets")[0].GetProperty("rawSql").GetString()!, new(all) { ["key"] = ["team-b"] }), Columns);
        var row = Assert.Single(onlyB);
        Assert.Equal(("team-b", "tiny-random", "local", "explicit_model", "tiny-random"), ((string?)row[1], (string?)row[2], (string?)row[3], (string?)row[4], (string?)row[5]));
        var essay = (await QueryAsync(connection, Fill(table.GetProperty("targets")[0].GetProperty("rawSql").GetString()!, new(all) { ["reason"] = ["semantic_remote"] }), Columns)).Single();
        Assert.Equal(("team-a", "auto", "remote", "gpt-4o-mini"), ((string?)essay[1], (string?)essay[2], (string?)essay[3], (string?)essay[5]));
    }

    /// <summary>Grafana's <c>$__unixEpochFilter(expr)</c> over the last day, and each multi-value variable as a quoted list.</summary>
    private static string Fill(string sql, Dictionary<string, List<string>> values)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        sql = EpochFilter().Replace(sql, match => $"{match.Groups[1].Value} >= {now - 86_400} AND {match.Groups[1].Value} <= {now + 60}");
        foreach (var (name, list) in values)
        {
            sql = sql.Replace("$" + name, string.Join(", ", list.Select(v => "'" + v.Replace("'", "''", StringComparison.Ordinal) + "'")), StringComparison.Ordinal);
        }

        Assert.DoesNotContain("$", sql, StringComparison.Ordinal);
        return sql;
    }

    private static async Task<List<object?[]>> QueryAsync(NpgsqlConnection connection, string sql, string[]? columns = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        if (columns is not null)
        {
            Assert.Equal(columns, Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
        }

        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    private static async Task SendAsync(GatewayFactory gateway, string key, string model, string ask)
    {
        using var client = gateway.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model, max_tokens = 4, messages = new[] { new { role = "user", content = ask } } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Sha256(string key) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));

    [GeneratedRegex(@"\$__unixEpochFilter\(([^()]*)\)")]
    private static partial Regex EpochFilter();
}
