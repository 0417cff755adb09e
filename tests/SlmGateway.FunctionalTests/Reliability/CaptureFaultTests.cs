using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SlmGateway.Core.Ports;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Routing.Semantic;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Reliability;

/// <summary>
/// Capture under faults: one call that cannot be read or stored once lost its whole batch (26 of 42
/// calls); a store that failed once never recovered without a restart, and readiness never showed it.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CaptureFaultTests(PostgresServer postgres) : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync(record: false);

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task CallsThatCannotBeRead_AreKeptWithoutTheirBodies_AndTheirBatchIsWhole(string kind)
    {
        _upstream.Handler = (context, request, _) =>
        {
            using var json = request.Json();
            var ask = json.RootElement.GetProperty("messages")[0].GetProperty("content").GetString()!;
            // An answer no UTF-16 string can hold (an unpaired surrogate escape), and one with a NUL that PostgreSQL text refuses.
            var content = ask.Contains("surrogate", StringComparison.Ordinal) ? "\\ud800 broken" : ask.Contains("nul", StringComparison.Ordinal) ? "a\\u0000b" : "fine";
            return OpenAiResponses.WriteJsonAsync(context.Response, 200, OpenAiResponses.ChatCompletion("gpt-4o-mini", "PLACEHOLDER").Replace("PLACEHOLDER", content, StringComparison.Ordinal));
        };
        var store = await LoopStore.CreateAsync(kind, postgres);
        await using var gateway = new GatewayFactory(new GatewaySettings().Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini").Capture(store)
            .Set("SlmGateway:Loop:Capture:BatchSize", "64"));
        using var client = gateway.CreateHttpClient();
        var bodies = Enumerable.Range(0, 40).Select(i => Chat($"Order {i} status please."))
            .Append("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"schema with duplicates"}],"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","type":"object"}}}}""")
            .Append(Chat("answer with a surrogate"))
            .Append(Chat("answer with a nul"))
            .ToList();

        await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (body, cancellationToken) =>
        {
            using var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });

        using var admin = new AdminClient(gateway);
        var capture = await admin.SettledCaptureAsync(bodies.Count);
        Assert.Equal((bodies.Count, 0L), (capture.GetProperty("written").GetInt64(), capture.GetProperty("failed").GetInt64()));
        Assert.Equal(bodies.Count, await store.CountAsync());
        Assert.Equal(1, await store.CountAsync("request_json LIKE '%duplicates%'"));
    }

    [Fact]
    public async Task AStoreThatFails_ShowsInReadiness_AndRecoversByItself()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"slmgw-store-{Guid.NewGuid():N}");
        File.WriteAllText(folder, "a file where the store's folder should be");
        var store = new LoopStore("sqlite", $"Data Source={Path.Combine(folder, "traces.db")}");
        await using var gateway = new GatewayFactory(new GatewaySettings().Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini").Capture(store));
        using var client = gateway.CreateHttpClient();
        using var admin = new AdminClient(gateway);

        await SendAsync(client);
        var failing = await WaitForStoreAsync(client, "failing");
        Assert.Equal("degraded", failing.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(failing.GetProperty("trace_store").GetProperty("error").GetString()));
        using (var status = await admin.SendAsync(HttpMethod.Get, "/admin/loop"))
        {
            Assert.Equal(HttpStatusCode.OK, status.StatusCode);
            Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(await status.Content.ReadAsStringAsync()).RootElement.GetProperty("store_error").GetString()));
        }

        using (var clusters = await admin.SendAsync(HttpMethod.Get, "/admin/clusters"))
        {
            var error = await OpenAiErrorAssert.IsErrorAsync(clusters, HttpStatusCode.ServiceUnavailable);
            Assert.Equal("store_unavailable", error.GetProperty("code").GetString());
        }

        File.Delete(folder);
        var recovered = await WaitForStoreAsync(client, "ok");
        Assert.Equal("ready", recovered.GetProperty("status").GetString());
        await SendAsync(client);
        var capture = await admin.SettledCaptureAsync(2);
        Assert.Equal(1, capture.GetProperty("written").GetInt64());
        Assert.Equal(1, await store.CountAsync());
    }

    [Theory]
    [InlineData("/V1/chat/completions")]
    [InlineData("/v1/Chat/Completions")]
    [InlineData("/v1/chat/completions/")]
    public async Task PathVariantsTheGatewayServes_AreCapturedAndCounted(string path)
    {
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(new GatewaySettings().Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini").Capture(store));
        using var client = gateway.CreateHttpClient();

        using var response = await client.PostAsync(path, new StringContent(Chat("hello"), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var admin = new AdminClient(gateway);
        await admin.SettledCaptureAsync(1);
        Assert.Equal(1, await store.CountAsync());
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("slmgw_routing_decisions_total{", metrics, StringComparison.Ordinal);
    }

    /// <summary>
    /// At saturation the clustering thread (idle policy) gets no core: an embedding that waits for one
    /// once held up the writer, whose queue then filled and dropped (4,742 and 5,029 calls in two
    /// proxy benchmark runs without a local model, where the first embedding also loads MiniLM).
    /// </summary>
    [Fact]
    public async Task CallsThatComeWhileAnEmbeddingWaits_AreWrittenMeanwhile()
    {
        using var release = new ManualResetEventSlim();
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(
            new GatewaySettings().Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini").Capture(store),
            faults: services => services.AddSingleton<ITextEmbedder>(provider => new HeldEmbedder(provider.GetRequiredService<RequestEmbedder>(), release)));
        using var client = gateway.CreateHttpClient();
        using var admin = new AdminClient(gateway);

        await SendAsync(client, Chat($"{HeldEmbedder.Marker} Where is order 1?"));
        await WaitForCaptureAsync(admin, capture => capture.GetProperty("clustering").GetInt64() > 0);
        foreach (var order in Enumerable.Range(2, 20))
        {
            await SendAsync(client, Chat($"Where is order {order}?"));
        }

        var meanwhile = await WaitForCaptureAsync(admin, capture => capture.GetProperty("written").GetInt64() == 21);
        Assert.Equal(0, meanwhile.GetProperty("dropped").GetInt64());
        Assert.True(meanwhile.GetProperty("clustering").GetInt64() > 0, "the held embedding's call was still waiting for its cluster");
        Assert.Equal(21, await store.CountAsync());

        release.Set();
        var settled = await admin.SettledCaptureAsync(21);
        Assert.Equal(0, settled.GetProperty("unclustered").GetInt64());
        Assert.Equal(0, await store.CountAsync("cluster_id IS NULL"));
    }

    private static async Task<JsonElement> WaitForCaptureAsync(AdminClient admin, Func<JsonElement, bool> condition)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var capture = (await admin.GetAsync("/admin/loop")).GetProperty("capture");
            if (condition(capture))
            {
                return capture;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("capture did not reach the expected state within 20 s");
    }

    private static string Chat(string content) =>
        $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":{{JsonSerializer.Serialize(content)}}}]}""";

    private static async Task SendAsync(HttpClient client, string? body = null)
    {
        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(body ?? Chat("hello"), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<JsonElement> WaitForStoreAsync(HttpClient client, string state)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var response = await client.GetAsync("/readyz");
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            if (body.GetProperty("trace_store").GetProperty("state").GetString() == state)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return body;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the trace store did not become {state} within 10 s");
    }
}
