using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Routing.Classification;
using SlmGateway.Routing.Semantic;
using SlmGateway.Routing.Training;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Routing;

/// <summary>
/// The router learns from the gateway's own shadow evidence: two kinds of calls the classifier sends
/// remote, one the local model answers as the remote model does (a fake remote that answers what the
/// local model answers) and one it does not; the evidence endpoint serves both, a retrained model
/// file is picked up while the gateway runs, and calls held back from training move: the first kind
/// to local, the second stays remote.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RouterRetrainTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly string[] Sentences =
    [
        "The train leaves at nine", "My sister lives in Lyon", "We bought bread this morning", "The museum opens on Sunday",
        "Our garden has three apple trees", "He plays the violin every evening", "The soup is too hot", "They walked along the river",
        "I forgot my umbrella at work", "The library closes early today",
    ];

    private static readonly string[] Topics =
    [
        "whether cities should ban cars from their centres", "whether schools should abolish homework", "whether museums should be free to enter",
        "whether voting should be compulsory", "whether zoos should be closed", "whether space exploration is worth its cost",
        "whether social media does more harm than good", "whether nuclear power should be expanded", "whether college should be free",
        "whether remote work is better than office work",
    ];

    private readonly ConcurrentDictionary<string, string> _remoteAnswers = new();
    private readonly string _modelFile = Path.Combine(Path.GetTempPath(), $"slmgw-router-{Guid.NewGuid():N}.json");
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        _upstream.Handler = (context, request, _) =>
        {
            using var json = request.Json();
            var ask = json.RootElement.GetProperty("messages")[0].GetProperty("content").GetString()!;
            return OpenAiResponses.WriteJsonAsync(context.Response, 200, OpenAiResponses.ChatCompletion("gpt-4o-mini", _remoteAnswers.GetValueOrDefault(ask, "I cannot help with that request today.")));
        };
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        File.Delete(_modelFile);
    }

    [Fact]
    public async Task RetrainingOnShadowEvidence_MovesWhatTheLocalModelGetsRight_AndKeepsTheRestRemote()
    {
        RouterModelSource.BuiltIn.Save(_modelFile);
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom, ("Tasks:0", "chat"))
            .Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini")
            .AutoRouting("tiny-random", "gpt-4o-mini")
            .Capture(store)
            .Set("SlmGateway:Loop:Shadow:SampleRate", "1")
            .Set("SlmGateway:Loop:Shadow:CpuBudget", "1")
            .Set("SlmGateway:Loop:Promotion:Automatic", "false")
            .Set("SlmGateway:Routing:ClassifierFile", _modelFile)
            .Set("SlmGateway:Routing:ClassifierReloadInterval", "00:00:00.100"));
        using var admin = new AdminClient(gateway);
        const int Trained = 8;
        for (var i = 0; i < Sentences.Length; i++)
        {
            // What the local model answers becomes the remote model's answer: the local model agrees on translations.
            _remoteAnswers[Translate(Sentences[i])] = (await SendAsync(gateway, Translate(Sentences[i]), "tiny-random")).Content;
        }

        Assert.Equal("semantic_remote", (await SendAsync(gateway, Translate(Sentences[^1]), "auto")).Reason);
        Assert.Equal("semantic_remote", (await SendAsync(gateway, Essay(Topics[^1]), "auto")).Reason);
        for (var i = 0; i < Trained; i++)
        {
            Assert.Equal("remote", (await SendAsync(gateway, Translate(Sentences[i]), "auto")).Route);
            Assert.Equal("remote", (await SendAsync(gateway, Essay(Topics[i]), "auto")).Route);
        }

        // The two held-back asks sent above were shadowed too: they stay out of training.
        string[] heldBack = [Translate(Sentences[^1]), Essay(Topics[^1]), Translate(Sentences[^2]), Essay(Topics[^2])];
        var shadowed = await EvidenceAsync(admin, 2 * Trained + 2);
        var evidence = shadowed.Where(e => !heldBack.Contains(e.Request.Messages![0].Content!.Value.Text)).ToList();
        Assert.Equal(2 * Trained, evidence.Count);
        Assert.All(evidence.Where(e => e.Request.Messages![0].Content!.Value.Text!.StartsWith("Translate", StringComparison.Ordinal)), e => Assert.True(e.Local));
        Assert.All(evidence.Where(e => e.Request.Messages![0].Content!.Value.Text!.StartsWith("Write", StringComparison.Ordinal)), e => Assert.False(e.Local));

        using (var embedder = new RequestEmbedder())
        using (var tools = new ToolEmbeddingCache(embedder.Embed))
        {
            var examples = RouterTrainer.Examples(BaseCorpus().Concat(evidence.Select(e => e with { Weight = 4 })), embedder.Embed, tools.Embed);
            RouterTrainer.Train(examples, new JsonObject()).Save(_modelFile);
        }

        // Held back from training: the last two sentences and topics.
        Assert.Equal(("local", "semantic_local"), await WithinAsync(gateway, Translate(Sentences[^2]), "semantic_local"));
        Assert.Equal(("local", "semantic_local"), (await SendAsync(gateway, Translate(Sentences[^1]), "auto")) is var translated ? (translated.Route, translated.Reason) : default);
        Assert.Equal("semantic_remote", (await SendAsync(gateway, Essay(Topics[^2]), "auto")).Reason);
        Assert.Equal("semantic_remote", (await SendAsync(gateway, Essay(Topics[^1]), "auto")).Reason);
    }

    /// <summary>A few requests of each kind, as the development corpus has many: agent tool steps local, hard asks remote.</summary>
    private static IEnumerable<LabelledRequest> BaseCorpus()
    {
        var weather = """[{"type":"function","function":{"name":"get_weather","description":"Current weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]""";
        string[] local = ["What's the weather in Oslo?", "Is it raining in Madrid right now?", "Temperature in Cairo please", "How windy is it in Chicago today?"];
        string[] remote = ["Prove that the square root of two is irrational.", "Explain the causes of the First World War in depth.", "Design a distributed cache with strong consistency.", "Compare Kant's and Hume's views on causation."];
        foreach (var (ask, i) in local.Select((ask, i) => (ask, i)))
        {
            yield return new LabelledRequest("base", $"base/local/{i}", DevelopmentCorpus.Parse(Request(ask, weather)), true);
        }

        foreach (var (ask, i) in remote.Select((ask, i) => (ask, i)))
        {
            yield return new LabelledRequest("base", $"base/remote/{i}", DevelopmentCorpus.Parse(Request(ask, null)), false);
            yield return new LabelledRequest("base", $"base/remote/{i}", DevelopmentCorpus.Parse(Request(ask, weather)), false);
        }
    }

    private static JsonObject Request(string ask, string? tools)
    {
        var request = new JsonObject { ["model"] = "auto", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = ask }) };
        if (tools is not null)
        {
            request["tools"] = JsonNode.Parse(tools);
        }

        return request;
    }

    private static string Translate(string sentence) => $"Translate into French: \"{sentence}.\"";

    private static string Essay(string topic) => $"Write a persuasive essay on {topic}, with counterarguments and a rebuttal for each.";

    private static async Task<List<LabelledRequest>> EvidenceAsync(AdminClient admin, int calls)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            using var response = await admin.SendAsync(HttpMethod.Get, "/admin/router/evidence");
            var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length >= calls)
            {
                return ShadowEvidence.Read(lines).ToList();
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{calls} shadowed calls did not arrive within 60 s.");
    }

    private static async Task<(string Route, string Reason)> WithinAsync(GatewayFactory gateway, string ask, string reason)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        (string Route, string Reason, string Content) answer;
        while ((answer = await SendAsync(gateway, ask, "auto")).Reason != reason && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return (answer.Route, answer.Reason);
    }

    private static async Task<(string Route, string Reason, string Content)> SendAsync(GatewayFactory gateway, string ask, string model)
    {
        using var client = gateway.CreateHttpClient();
        var json = JsonSerializer.Serialize(new { model, max_tokens = 8, temperature = 0, messages = new[] { new { role = "user", content = ask } } });
        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, body.GetRawText());
        var message = body.GetProperty("choices")[0].GetProperty("message");
        var content = message.TryGetProperty("content", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()! : string.Empty;
        return (response.Headers.GetValues("x-slmgw-route").Single(), response.Headers.GetValues("x-slmgw-reason").Single(), content);
    }
}
