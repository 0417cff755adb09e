using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Conversion;

/// <summary>S1 and S2 end to end: calls through the gateway land in a real SQLite file or PostgreSQL database, redacted.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CaptureTests(PostgresServer postgres) : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync(record: false);

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task ConcurrentCalls_AreAllStored(string kind)
    {
        var store = await LoopStore.CreateAsync(kind, postgres);
        await using var gateway = new GatewayFactory(Settings(store));
        const int Calls = 200;

        var statuses = await SendManyAsync(gateway, Calls, concurrency: 16);

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        using var admin = new AdminClient(gateway);
        var capture = await admin.SettledCaptureAsync(Calls);
        Assert.Equal((Calls, 0, Calls, 0), (capture.GetProperty("accepted").GetInt64(), capture.GetProperty("dropped").GetInt64(), capture.GetProperty("written").GetInt64(), capture.GetProperty("failed").GetInt64()));
        Assert.Equal(Calls, await store.CountAsync());
        Assert.Equal(Calls, await store.CountAsync("route = 'remote' AND status = 200 AND answer_json IS NOT NULL AND request_json IS NOT NULL"));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task SlowStore_DoesNotHoldRequests_AndWhatItCannotTakeIsCountedAsDropped(string kind)
    {
        var store = await LoopStore.CreateAsync(kind, postgres);
        await using var gateway = new GatewayFactory(Settings(store).Set("SlmGateway:Loop:Capture:QueueLength", "4").Set("SlmGateway:Loop:Capture:BatchSize", "2"));
        using var admin = new AdminClient(gateway);
        await SendManyAsync(gateway, 1, concurrency: 1);
        await admin.SettledCaptureAsync(1);
        const int Calls = 60;

        await using (var locked = await store.OpenAsync())
        {
            await using var transaction = await locked.BeginTransactionAsync();
            await using var lockCommand = locked.CreateCommand();
            lockCommand.Transaction = transaction;
            // Writers now wait on this transaction: SQLite's write lock, PostgreSQL's table lock.
            lockCommand.CommandText = kind == "postgres" ? "LOCK TABLE slmgw_captures IN EXCLUSIVE MODE" : "DELETE FROM slmgw_captures WHERE id < 0";
            await lockCommand.ExecuteNonQueryAsync();

            var statuses = await SendManyAsync(gateway, Calls, concurrency: 8);

            Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
            var during = (await admin.GetAsync("/admin/loop")).GetProperty("capture");
            Assert.Equal(1, during.GetProperty("written").GetInt64());
            Assert.True(during.GetProperty("dropped").GetInt64() > 0, during.ToString());
            await transaction.RollbackAsync();
        }

        var capture = await admin.SettledCaptureAsync(Calls + 1);
        var (accepted, dropped, written, failed) = (capture.GetProperty("accepted").GetInt64(), capture.GetProperty("dropped").GetInt64(), capture.GetProperty("written").GetInt64(), capture.GetProperty("failed").GetInt64());
        Assert.Equal(Calls + 1, accepted + dropped);
        Assert.Equal(0, failed);
        Assert.Equal(written, await store.CountAsync());
    }

    [Fact]
    public async Task StoreDown_RequestsStillSucceed_AndLostRecordsAreCounted()
    {
        var closedPort = FreePort.Next();
        var store = new LoopStore("postgres", $"Host=127.0.0.1;Port={closedPort};Username=nobody;Database=none;Timeout=1");
        await using var gateway = new GatewayFactory(Settings(store));
        const int Calls = 30;

        var statuses = await SendManyAsync(gateway, Calls, concurrency: 4);

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        using var admin = new AdminClient(gateway);
        var capture = await admin.SettledCaptureAsync(Calls);
        Assert.Equal(0, capture.GetProperty("written").GetInt64());
        Assert.Equal(Calls, capture.GetProperty("failed").GetInt64() + capture.GetProperty("dropped").GetInt64());
        var status = await admin.GetAsync("/admin/loop");
        Assert.Equal(JsonValueKind.Null, status.GetProperty("captured").ValueKind);
        Assert.Contains("127.0.0.1", status.GetProperty("store_error").GetString(), StringComparison.Ordinal);
        using var clusters = await admin.SendAsync(HttpMethod.Get, "/admin/clusters");
        Assert.Equal("store_unavailable", (await OpenAiErrorAssert.IsErrorAsync(clusters, HttpStatusCode.ServiceUnavailable)).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task StoredCall_IsRedacted_AndCarriesRouteTokensAndKey(string kind)
    {
        var store = await LoopStore.CreateAsync(kind, postgres);
        _upstream.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, 200,
            OpenAiResponses.ChatCompletion("gpt-4o-mini", "I emailed jane.doe@example.org and called +44 20 7946 0958 about order 1732838400000."));
        await using var gateway = new GatewayFactory(Settings(store).ClientKey("alice", Sha("alice-key")));
        var client = new ChatClient("gpt-4o-mini", new ApiKeyCredential("alice-key"), new OpenAIClientOptions { Endpoint = gateway.BaseUrl });

        var answer = await client.CompleteChatAsync(
            new SystemChatMessage("You are a support agent. Escalations go to ops@acme.example."),
            new UserChatMessage("My card 4111 1111 1111 1111 was charged twice; IBAN DE89 3704 0044 0532 0130 00, from 192.168.10.24, "
                + "token Bearer abcdefghijklmnop.qrstuvwxyz and key sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX. Ticket 42, invoice INV-2024-0042, amount 1299.50."));

        Assert.Contains("jane.doe@example.org", answer.Value.Content[0].Text);
        using var admin = new AdminClient(gateway);
        await admin.SettledCaptureAsync(1);
        var row = Assert.Single(await store.QueryAsync("SELECT * FROM slmgw_captures"));
        Assert.Equal(("alice", "remote", "explicit_model", "gpt-4o-mini"), ((string?)row["key_id"], (string?)row["route"], (string?)row["reason"], (string?)row["model"]));
        Assert.Equal(200L, Convert.ToInt64(row["status"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((5L, 3L), (Convert.ToInt64(row["input_tokens"], System.Globalization.CultureInfo.InvariantCulture), Convert.ToInt64(row["output_tokens"], System.Globalization.CultureInfo.InvariantCulture)));
        var stored = $"{row["request_json"]}\n{row["answer_json"]}\n{row["signature"]}";
        foreach (var secret in new[] { "ops@acme.example", "4111 1111 1111 1111", "DE89 3704", "192.168.10.24", "abcdefghijklmnop", "sk-proj-ABCDEF", "jane.doe@example.org", "7946 0958" })
        {
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        }

        foreach (var kept in new[] { "[EMAIL]", "[CARD]", "[IBAN]", "[IP]", "[SECRET]", "[PHONE]", "Ticket 42", "INV-2024-0042", "1299.50", "1732838400000" })
        {
            Assert.Contains(kept, stored, StringComparison.Ordinal);
        }

        using var request = JsonDocument.Parse((string)row["request_json"]!);
        Assert.Equal("gpt-4o-mini", request.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task StreamedAnswer_IsStoredAsOneAssistantMessage()
    {
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(Settings(store));
        var client = new ChatClient("gpt-4o-mini", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = gateway.BaseUrl });

        var text = new StringBuilder();
        await foreach (var update in client.CompleteChatStreamingAsync(new UserChatMessage("Say hello.")))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(part => part.Text)));
        }

        using var admin = new AdminClient(gateway);
        await admin.SettledCaptureAsync(1);
        var row = Assert.Single(await store.QueryAsync("SELECT stream, answer_json FROM slmgw_captures"));
        Assert.Equal(1L, Convert.ToInt64(row["stream"], System.Globalization.CultureInfo.InvariantCulture));
        using var message = JsonDocument.Parse((string)row["answer_json"]!);
        Assert.Equal("assistant", message.RootElement.GetProperty("role").GetString());
        Assert.Equal(text.ToString(), message.RootElement.GetProperty("content").GetString());
    }

    [Fact]
    public async Task CapturePerKey_OverridesTheDefault_AndDeletionByKeyAndAgeWorks()
    {
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(Settings(store)
            .Set("SlmGateway:Loop:Capture:Enabled", "false")
            .Set("SlmGateway:Loop:Capture:Keys:alice", "true")
            .Set("SlmGateway:Loop:Capture:Keys:carol", "true")
            .ClientKey("alice", Sha("alice-key")).ClientKey("bob", Sha("bob-key")).ClientKey("carol", Sha("carol-key")));

        foreach (var key in new[] { "alice-key", "bob-key", "carol-key", "alice-key" })
        {
            Assert.Equal(HttpStatusCode.OK, (await SendManyAsync(gateway, 1, 1, key))[0]);
        }

        using var admin = new AdminClient(gateway);
        await admin.SettledCaptureAsync(3);
        Assert.Equal((2L, 0L, 1L), (await store.CountAsync("key_id = 'alice'"), await store.CountAsync("key_id = 'bob'"), await store.CountAsync("key_id = 'carol'")));

        var deleted = await admin.SendAsync(HttpMethod.Delete, "/admin/captures?key_id=alice");
        Assert.Equal(2, JsonDocument.Parse(await deleted.Content.ReadAsStringAsync()).RootElement.GetProperty("deleted").GetInt64());
        Assert.Equal((0L, 1L), (await store.CountAsync("key_id = 'alice'"), await store.CountAsync()));

        var old = await admin.SendAsync(HttpMethod.Delete, "/admin/captures?older_than_days=1");
        Assert.Equal(0, JsonDocument.Parse(await old.Content.ReadAsStringAsync()).RootElement.GetProperty("deleted").GetInt64());
        var everything = await admin.SendAsync(HttpMethod.Delete, "/admin/captures?all=true");
        Assert.Equal(1, JsonDocument.Parse(await everything.Content.ReadAsStringAsync()).RootElement.GetProperty("deleted").GetInt64());
        Assert.Equal(0L, await store.CountAsync());
    }

    [Fact]
    public async Task SampleRate_CapturesAShareOfTheCalls()
    {
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(Settings(store).Set("SlmGateway:Loop:Capture:SampleRate", "0.5"));
        const int Calls = 200;

        Assert.All(await SendManyAsync(gateway, Calls, concurrency: 8), status => Assert.Equal(HttpStatusCode.OK, status));

        using var admin = new AdminClient(gateway);
        var capture = await admin.SettledCaptureAsync(Calls);
        var (accepted, sampledOut) = (capture.GetProperty("accepted").GetInt64(), capture.GetProperty("sampled_out").GetInt64());
        Assert.Equal(Calls, accepted + sampledOut);
        // Binomial(200, 0.5): 60 and 140 are more than five standard deviations from the mean.
        Assert.InRange(accepted, 60, 140);
        Assert.Equal(accepted, await store.CountAsync());
    }

    [Fact]
    public async Task MaxCallsPerSecond_CapsWhatIsCaptured_AndEveryCallIsStillAnswered()
    {
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(Settings(store).Set("SlmGateway:Loop:Capture:MaxCallsPerSecond", "10"));
        const int Calls = 60;

        var sending = System.Diagnostics.Stopwatch.StartNew();
        Assert.All(await SendManyAsync(gateway, Calls, concurrency: 16), status => Assert.Equal(HttpStatusCode.OK, status));
        var seconds = sending.Elapsed.TotalSeconds;

        using var admin = new AdminClient(gateway);
        var capture = await admin.SettledCaptureAsync(Calls);
        var (accepted, sampledOut) = (capture.GetProperty("accepted").GetInt64(), capture.GetProperty("sampled_out").GetInt64());
        Assert.Equal(Calls, accepted + sampledOut);
        // A full bucket (one second's worth) at the start, then 10 a second while the calls came.
        Assert.InRange(accepted, 10, 10 + (long)Math.Ceiling(seconds * 10));
        Assert.True(sampledOut > 0, $"{accepted} of {Calls} captured in {seconds:0.00} s");
        Assert.Equal(accepted, await store.CountAsync());
    }

    [Fact]
    public async Task MaxCallsPerSecond_AtTheDefault_KeepsEveryCallOfABurstOf200()
    {
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(Settings(store));
        const int Calls = 200;

        Assert.All(await SendManyAsync(gateway, Calls, concurrency: 8), status => Assert.Equal(HttpStatusCode.OK, status));

        using var admin = new AdminClient(gateway);
        var capture = await admin.SettledCaptureAsync(Calls);
        Assert.Equal(Calls, capture.GetProperty("accepted").GetInt64());
        Assert.Equal(0, capture.GetProperty("sampled_out").GetInt64());
    }

    [Fact]
    public async Task BodiesOverTheLimit_AreLeftOut_AndTheCallIsStillRecorded()
    {
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(Settings(store).Set("SlmGateway:Loop:Capture:MaxBodyBytes", "60"));

        Assert.Equal(HttpStatusCode.OK, (await SendManyAsync(gateway, 1, 1))[0]);

        using var admin = new AdminClient(gateway);
        await admin.SettledCaptureAsync(1);
        var row = Assert.Single(await store.QueryAsync("SELECT route, status, request_json, answer_json, cluster_id FROM slmgw_captures"));
        Assert.Equal(("remote", 200L), ((string?)row["route"], Convert.ToInt64(row["status"], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Null(row["request_json"]);
        Assert.Null(row["answer_json"]);
        Assert.Null(row["cluster_id"]);
    }

    private GatewaySettings Settings(LoopStore store) =>
        new GatewaySettings().Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini").Capture(store);

    private static async Task<HttpStatusCode[]> SendManyAsync(GatewayFactory gateway, int calls, int concurrency, string? key = null)
    {
        using var client = gateway.CreateHttpClient();
        var statuses = new HttpStatusCode[calls];
        await Parallel.ForAsync(0, calls, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, cancellationToken) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = new StringContent(
                    $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Look up order {{i}} for customer number {{i * 7}}."}]}""", Encoding.UTF8, "application/json"),
            };
            if (key is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }

            using var response = await client.SendAsync(request, cancellationToken);
            statuses[i] = response.StatusCode;
        });
        return statuses;
    }

    private static string Sha(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
