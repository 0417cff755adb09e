using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Conversion;

/// <summary>
/// S3-S6 end to end with the tiny local model and a fake remote that answers exactly what the local
/// model answers: captured calls cluster, shadow runs agree, the policy promotes the cluster and its
/// requests move to local; on a gateway whose local answers are all rejected, escalations demote it
/// and its requests move back. The export holds the remote model's answers, redacted.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ConversionLoopTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly string[] Topics =
    [
        "whether cities should ban cars from their centres",
        "whether schools should abolish homework",
        "whether museums should be free to enter",
        "whether voting should be compulsory",
        "whether zoos should be closed",
    ];

    private readonly ConcurrentDictionary<string, string> _remoteAnswers = new();
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        _upstream.Handler = (context, request, _) =>
        {
            using var json = request.Json();
            var ask = json.RootElement.GetProperty("messages")[1].GetProperty("content").GetString()!;
            return OpenAiResponses.WriteJsonAsync(context.Response, 200, OpenAiResponses.ChatCompletion("gpt-4o-mini", _remoteAnswers.GetValueOrDefault(ask, "No answer.")));
        };
    }

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task AgreeingCluster_IsPromotedToLocal_ThenDemotedWhenEscalationsRise(string kind)
    {
        var store = await LoopStore.CreateAsync(kind, postgres);
        long clusterId;
        await using (var gateway = new GatewayFactory(Settings(store)))
        {
            using var admin = new AdminClient(gateway);
            foreach (var topic in Topics[..4])
            {
                var (_, _, local) = await SendAsync(gateway, Essay(topic, "tiny-random"));
                _remoteAnswers[Ask(topic)] = local;
                var (route, _, remote) = await SendAsync(gateway, Essay(topic, "gpt-4o-mini"));
                Assert.Equal(("remote", local), (route, remote));
            }

            var cluster = await WaitForShadowSamplesAsync(admin, 4);
            clusterId = cluster.GetProperty("id").GetInt64();
            var shadow = Assert.Single(cluster.GetProperty("shadow").EnumerateArray());
            Assert.Equal(("tiny-random", 4, 4), (shadow.GetProperty("model").GetString(), shadow.GetProperty("samples").GetInt32(), shadow.GetProperty("agreed").GetInt32()));
            Assert.Equal("observed", cluster.GetProperty("state").GetString());
            Assert.Contains("persuasive", cluster.GetProperty("terms").EnumerateArray().Select(t => t.GetString()));

            Assert.Equal(("remote", "semantic_remote"), Take2(await SendAsync(gateway, Essay(Topics[4], "auto"))));

            var changes = (await admin.PostAsync("/admin/loop/evaluate")).GetProperty("changes");
            var promotion = Assert.Single(changes.EnumerateArray());
            Assert.Equal((clusterId, "observed", "promoted", "tiny-random", "policy"), (promotion.GetProperty("cluster").GetInt64(), promotion.GetProperty("from").GetString(),
                promotion.GetProperty("to").GetString(), promotion.GetProperty("model").GetString(), promotion.GetProperty("actor").GetString()));
            Assert.Equal(1.0, promotion.GetProperty("evidence").GetProperty("agreement").GetDouble());

            Assert.Equal(("local", "cluster_promoted"), Take2(await SendAsync(gateway, Essay(Topics[4], "auto"))));
            Assert.Equal("semantic_local", Take2(await SendAsync(gateway, WeatherToolStep)).Reason);

            // The four explicit remote calls and the fifth topic's semantic_remote call: every remote answer in the cluster.
            await admin.SettledCaptureAsync(11);
            var training = await ExportAsync(gateway, clusterId, "training");
            Assert.Equal(5, training.Count);
            foreach (var line in training)
            {
                var messages = line.GetProperty("messages").EnumerateArray().ToList();
                Assert.Equal(["system", "user", "assistant"], messages.Select(m => m.GetProperty("role").GetString()));
                Assert.Contains("[EMAIL]", messages[0].GetProperty("content").GetString(), StringComparison.Ordinal);
                Assert.Equal(_remoteAnswers.GetValueOrDefault(messages[1].GetProperty("content").GetString()!, "No answer."), messages[2].GetProperty("content").GetString());
                Assert.DoesNotContain("essays@school.example", line.GetRawText(), StringComparison.Ordinal);
            }

            Assert.Empty(await ExportAsync(gateway, clusterId, "validation"));
        }

        // A replica sharing the store, whose local answers never clear the confidence bar: every one escalates.
        await using (var gateway = new GatewayFactory(Settings(store).Set("SlmGateway:Routing:MinConfidenceMean", "0")))
        {
            using var admin = new AdminClient(gateway);
            await WaitForClustersAsync(admin);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(("remote", "escalated_confidence"), Take2(await SendAsync(gateway, Essay(Topics[i], "auto"))));
            }

            await admin.SettledCaptureAsync(3);
            var demotion = Assert.Single((await admin.PostAsync("/admin/loop/evaluate")).GetProperty("changes").EnumerateArray());
            Assert.Equal((clusterId, "promoted", "demoted"), (demotion.GetProperty("cluster").GetInt64(), demotion.GetProperty("from").GetString(), demotion.GetProperty("to").GetString()));
            // Since the promotion: the first replica's one local answer, and these three escalations.
            Assert.Equal((4, 3), (demotion.GetProperty("evidence").GetProperty("live_requests").GetInt32(), demotion.GetProperty("evidence").GetProperty("escalated").GetInt32()));

            Assert.Equal(("remote", "cluster_demoted"), Take2(await SendAsync(gateway, Essay(Topics[4], "auto"))));
            var events = (await admin.GetAsync($"/admin/clusters/{clusterId}")).GetProperty("events").EnumerateArray().Select(e => e.GetProperty("to").GetString());
            Assert.Equal(["promoted", "demoted"], events);
        }
    }

    [Fact]
    public async Task ClusterPromotedByHand_ServesItsRequestsLocally_AndTheChangeIsRecorded()
    {
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(Settings(store));
        using var admin = new AdminClient(gateway);
        await SendAsync(gateway, Essay(Topics[0], "gpt-4o-mini"));
        await admin.SettledCaptureAsync(1);
        var id = (await admin.GetAsync("/admin/clusters")).GetProperty("data")[0].GetProperty("id").GetInt64();

        var change = await admin.PostAsync($"/admin/clusters/{id}/promote", """{"model":"tiny-random","reason":"reviewed by hand"}""");

        Assert.Equal(("admin", "reviewed by hand"), (change.GetProperty("actor").GetString(), change.GetProperty("evidence").GetProperty("reason").GetString()));
        Assert.Equal(("local", "cluster_promoted"), Take2(await SendAsync(gateway, Essay(Topics[1], "auto"))));
        await admin.PostAsync($"/admin/clusters/{id}/demote");
        Assert.Equal(("remote", "cluster_demoted"), Take2(await SendAsync(gateway, Essay(Topics[1], "auto"))));
        Assert.Equal(2, (await admin.GetAsync("/admin/events")).GetProperty("data").GetArrayLength());
    }

    private const string WeatherToolStep = """
        {"model":"auto","max_tokens":12,"messages":[{"role":"user","content":"What's the weather in Paris today?"}],
         "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather for a city",
                   "parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":20}},"required":["city"]}}}]}
        """;

    private GatewaySettings Settings(LoopStore store) =>
        new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom, ("Tasks:0", "chat"), ("Tasks:1", "tool_call"))
            .Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini")
            .AutoRouting("tiny-random", "gpt-4o-mini")
            .Capture(store)
            .Set("SlmGateway:Loop:Shadow:SampleRate", "1")
            .Set("SlmGateway:Loop:Shadow:CpuBudget", "1")
            .Set("SlmGateway:Loop:Promotion:MinSamples", "3")
            .Set("SlmGateway:Loop:Promotion:MinLiveSamples", "3")
            .Set("SlmGateway:Loop:Promotion:DemoteEscalationRate", "0.5")
            .Set("SlmGateway:Loop:Promotion:Interval", "01:00:00");

    private static string Ask(string topic) => $"Write a persuasive essay on {topic}, with counterarguments and a rebuttal for each.";

    private static string Essay(string topic, string model) => JsonSerializer.Serialize(new
    {
        model,
        max_tokens = 8,
        temperature = 0,
        messages = new object[]
        {
            new { role = "system", content = "You are a debate coach. Students send drafts to essays@school.example." },
            new { role = "user", content = Ask(topic) },
        },
    });

    private static (string Route, string Reason) Take2((string Route, string Reason, string Content) answer) => (answer.Route, answer.Reason);

    private static async Task<(string Route, string Reason, string Content)> SendAsync(GatewayFactory gateway, string json)
    {
        using var client = gateway.CreateHttpClient();
        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using var document = JsonDocument.Parse(body);
        var content = document.RootElement.GetProperty("choices")[0].GetProperty("message").TryGetProperty("content", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()! : string.Empty;
        return (response.Headers.GetValues("x-slmgw-route").Single(), response.Headers.GetValues("x-slmgw-reason").Single(), content);
    }

    private static async Task<JsonElement> WaitForShadowSamplesAsync(AdminClient admin, int samples)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            foreach (var cluster in (await admin.GetAsync("/admin/clusters")).GetProperty("data").EnumerateArray())
            {
                if (cluster.GetProperty("shadow").EnumerateArray().Sum(s => s.GetProperty("samples").GetInt32()) >= samples)
                {
                    return cluster;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{samples} shadow samples did not arrive within 60 s.");
    }

    private static async Task WaitForClustersAsync(AdminClient admin)
    {
        for (var attempt = 0; attempt < 300 && (await admin.GetAsync("/admin/loop")).GetProperty("clusters").GetInt32() == 0; attempt++)
        {
            await Task.Delay(100);
        }
    }

    private static async Task<List<JsonElement>> ExportAsync(GatewayFactory gateway, long clusterId, string split)
    {
        using var admin = new AdminClient(gateway);
        using var response = await admin.SendAsync(HttpMethod.Get, $"/admin/clusters/{clusterId}/export?split={split}&validation_share=0");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Equal("application/jsonl", response.Content.Headers.ContentType?.MediaType);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }
}
