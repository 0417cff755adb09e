using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Deployment;

/// <summary>
/// Three gateway processes behind a round-robin balancer (which, as a load balancer does, skips a
/// replica that refuses connections), sharing one PostgreSQL (captures, clusters, sessions) and one
/// Redis (limits): a request limit and a budget hold in total, a cluster promoted through one replica
/// routes on the others within the refresh interval, and a replica stopped under load loses no
/// accepted request and leaves every captured call written.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ThreeReplicasTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string LimitedKey = "limited-key";
    private const string BudgetKey = "budget-key";
    private const string FreeKey = "free-key";
    private readonly RedisServer _redis = new();
    private readonly List<RunningGateway> _replicas = [];
    private FakeUpstream _upstream = null!;
    private string _database = null!;
    private int _next;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _upstream = await FakeUpstream.StartAsync();
        _database = await postgres.CreateDatabaseAsync();
        var settings = new List<string>
        {
            "--SlmGateway:Remote:Upstreams:0:Name=fake", $"--SlmGateway:Remote:Upstreams:0:BaseUrl={_upstream.BaseUrl}",
            "--SlmGateway:Remote:Upstreams:0:Models:gpt-4o-mini=gpt-4o-mini",
            "--SlmGateway:Local:Models:0:Name=tiny-random", $"--SlmGateway:Local:Models:0:Path={TestModels.TinyRandom}", "--SlmGateway:Local:Models:0:Threads=1",
            "--SlmGateway:Routing:LocalModel=tiny-random", "--SlmGateway:Routing:RemoteModel=gpt-4o-mini",
            "--SlmGateway:Routing:MinConfidenceMean=-100", "--SlmGateway:Routing:MinConfidenceMin=-1000",
            "--SlmGateway:Routing:Prices:gpt-4o-mini:InputPerMillion=1000", "--SlmGateway:Routing:Prices:gpt-4o-mini:OutputPerMillion=1000",
            "--SlmGateway:Routing:Sessions:Store=postgres", $"--SlmGateway:Routing:Sessions:ConnectionString={_database}",
            "--SlmGateway:Limits:Store=redis", $"--SlmGateway:Limits:Redis={_redis.Configuration}",
            // Counts, not Redis's latency, are under test: on two busy cores a cold first call can outlast
            // the 250 ms default, and failing open would let a request through uncounted.
            "--SlmGateway:Limits:Timeout=00:00:05", "--SlmGateway:Limits:WhenUnavailable=closed",
            "--SlmGateway:Loop:Capture:Enabled=true", "--SlmGateway:Loop:Capture:Store=postgres", $"--SlmGateway:Loop:Capture:ConnectionString={_database}",
            "--SlmGateway:Loop:Capture:RefreshInterval=00:00:01", "--SlmGateway:Loop:Promotion:Automatic=false",
            "--SlmGateway:Auth:AdminKeys:0:Id=admin", $"--SlmGateway:Auth:AdminKeys:0:Sha256={LoopStore.AdminKeySha256}",
            "--SlmGateway:Shutdown:DrainDelay=00:00:01",
        };
        foreach (var (key, i) in new[] { LimitedKey, BudgetKey, FreeKey }.Select((key, i) => (key, i)))
        {
            settings.Add($"--SlmGateway:Auth:Keys:{i}:Id={key}");
            settings.Add($"--SlmGateway:Auth:Keys:{i}:Sha256={Sha256(key)}");
        }

        settings.Add("--SlmGateway:Auth:Keys:0:RequestsPerMinute=12");
        settings.Add("--SlmGateway:Auth:Keys:1:DailyBudgetUsd=0.02");
        for (var i = 0; i < 3; i++)
        {
            _replicas.Add(await GatewayProcess.StartAsync([.. settings]));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        await _upstream.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task LimitsBudgetsPromotionsAndAStoppedReplica_HoldAcrossThreeReplicas()
    {
        // A limit of 12 requests a minute: 12 in total across the replicas, not 12 each (sent at once, so in one minute).
        await MinuteWindow.AwayFromItsEndAsync();
        var limited = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => StatusAsync(LimitedKey, "gpt-4o-mini", "Hello")));

        Assert.Equal((12, 8), (limited.Count(s => s == HttpStatusCode.OK), limited.Count(s => s == HttpStatusCode.TooManyRequests)));

        // A daily budget of 0.02 USD at 0.008 USD a request: three requests in total. Spend is counted
        // once an answer has gone out, so one more may slip in while the last is being counted.
        var budget = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            budget.Add(await StatusAsync(BudgetKey, "gpt-4o-mini", "Hello"));
        }

        Assert.InRange(budget.Count(s => s == HttpStatusCode.OK), 3, 4);
        Assert.Equal(HttpStatusCode.TooManyRequests, budget[^1]);
        Assert.Equal(budget.OrderBy(s => s).ToList(), budget);

        // A cluster promoted through the first replica routes on the others within the refresh interval (1 s).
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(FreeKey, "gpt-4o-mini", Essay("whether zoos should be closed"), _replicas[0]));
        var cluster = await SettledClusterAsync(_replicas[0]);
        using (var admin = Admin(_replicas[0]))
        using (var promoted = await admin.PostAsync($"/admin/clusters/{cluster}/promote", JsonContent.Create(new { model = "tiny-random" })))
        {
            Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        }

        foreach (var replica in _replicas.Skip(1))
        {
            // The refresh runs with the replica's next captured call at least 1 s after the last; on two busy cores allow 10 s.
            var reason = await ReasonWithinAsync(replica, Essay("whether museums should be free"), "cluster_promoted", TimeSpan.FromSeconds(10));
            using var admin = Admin(replica);
            Assert.True(reason == "cluster_promoted", $"{reason}; the replica's clusters: {await admin.GetStringAsync("/admin/clusters")}");
        }

        // The third replica stopped under load: every request that got an answer got a whole one, and every one of them is captured.
        var before = await SettledCaptureCountAsync();
        var answered = new ConcurrentBag<HttpStatusCode>();
        using var load = new CancellationTokenSource(TimeSpan.FromSeconds(6));
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            // Paced (about 150 requests a second in all) so that capture keeps every call: at saturation it drops, counted.
            while (!load.IsCancellationRequested)
            {
                answered.Add(await StatusAsync(FreeKey, "gpt-4o-mini", "Hello"));
                await Task.Delay(20);
            }
        })).ToList();
        await Task.Delay(1500);
        _replicas[2].Terminate();
        await Task.WhenAll(workers);
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _replicas[2].Process.WaitForExitAsync(exit.Token);

        Assert.Equal(0, _replicas[2].Process.ExitCode);
        Assert.True(answered.Count > 20, $"only {answered.Count} requests were answered under load");
        Assert.All(answered, status => Assert.Equal(HttpStatusCode.OK, status));
        await WaitForAsync(async () => await CapturedAsync() - before == answered.Count, TimeSpan.FromSeconds(30), $"captured {await CapturedAsync() - before} of {answered.Count} answered calls");
    }

    /// <summary>Round robin over the replicas, skipping one that refuses connections, as a load balancer does.</summary>
    private async Task<HttpStatusCode> StatusAsync(string key, string model, string ask, RunningGateway? only = null)
    {
        var first = (int)((uint)Interlocked.Increment(ref _next) % _replicas.Count);
        for (var attempt = 0; attempt < _replicas.Count; attempt++)
        {
            var replica = only ?? _replicas[(first + attempt) % _replicas.Count];
            try
            {
                using var response = await PostAsync(replica, key, model, ask);
                await response.Content.ReadAsStringAsync();
                return response.StatusCode;
            }
            catch (HttpRequestException) when (only is null)
            {
                // Refused: the balancer tries the next replica.
            }
        }

        throw new InvalidOperationException("No replica took the request.");
    }

    private static async Task<HttpResponseMessage> PostAsync(RunningGateway replica, string key, string model, string ask)
    {
        using var client = new HttpClient { BaseAddress = replica.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await client.PostAsJsonAsync("/v1/chat/completions", new { model, max_tokens = 4, temperature = 0, messages = new[] { new { role = "user", content = ask } } });
    }

    private static async Task<string> ReasonWithinAsync(RunningGateway replica, string ask, string wanted, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        string reason;
        do
        {
            using var response = await PostAsync(replica, FreeKey, "auto", ask);
            reason = response.Headers.GetValues("x-slmgw-reason").Single();
        }
        while (reason != wanted && DateTime.UtcNow < deadline && await Delay());

        return reason;
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(200);
        return true;
    }

    private static async Task<long> SettledClusterAsync(RunningGateway replica)
    {
        using var admin = Admin(replica);
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var clusters = await admin.GetFromJsonAsync<JsonElement>("/admin/clusters");
            if (clusters.GetProperty("data").EnumerateArray().FirstOrDefault(c => c.GetProperty("terms").EnumerateArray().Any(t => t.GetString() == "persuasive")) is { ValueKind: JsonValueKind.Object } cluster)
            {
                return cluster.GetProperty("id").GetInt64();
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The essay's cluster did not appear within 30 s.");
    }

    /// <summary>The captured calls once the writers have caught up with the calls so far (the count holds still for a second).</summary>
    private async Task<long> SettledCaptureCountAsync()
    {
        var (previous, current) = (-1L, await CapturedAsync());
        while (current != previous)
        {
            await Task.Delay(1000);
            (previous, current) = (current, await CapturedAsync());
        }

        return current;
    }

    private async Task<long> CapturedAsync()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM slmgw_captures", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan limit, string because)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, because);
            await Task.Delay(200);
        }
    }

    private static HttpClient Admin(RunningGateway replica)
    {
        var client = new HttpClient { BaseAddress = replica.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LoopStore.AdminKey);
        return client;
    }

    private static string Essay(string topic) => $"Write a persuasive essay on {topic}, with counterarguments and a rebuttal for each.";

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
