using System.ClientModel;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Routing;

/// <summary>
/// Agent loops through the official SDK, with no change to the client: a step that answers a tool
/// result continues on the model that made the call; a session that has been served remotely stays
/// remote; a first step starts its session afresh; replicas sharing a PostgreSQL session store see
/// the same sessions.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AgentSessionTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool(
        "get_weather", "Current weather for a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string","maxLength":20}},"required":["city"]}"""));

    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task AToolLoop_StaysOnTheLocalModelThatMadeTheCall()
    {
        await using var gateway = new GatewayFactory(Settings());
        var client = Sdk.Chat(gateway, "auto");
        var conversation = FirstStep("What's the weather in Paris today?");

        Assert.Equal(("local", "semantic_local"), Route(await client.CompleteChatAsync(conversation, Options())));
        AnswerToolCall(conversation, 1, "Write a persuasive essay on whether cities should ban cars, with counterarguments and a rebuttal for each.");
        Assert.Equal(("local", "session_continues"), Route(await client.CompleteChatAsync(conversation, Options())));
        AnswerToolCall(conversation, 2, """{"temperature": 21, "unit": "celsius"}""");
        Assert.Equal(("local", "session_continues"), Route(await client.CompleteChatAsync(conversation, Options())));
        Assert.Equal(0, _upstream.RequestCount);

        // The same step in a session the gateway has not seen is decided afresh.
        var stranger = FirstStep("What's the weather in Lisbon today?");
        AnswerToolCall(stranger, 1, """{"temperature": 21, "unit": "celsius"}""");
        Assert.NotEqual("session_continues", Route(await client.CompleteChatAsync(stranger, Options())).Reason);
    }

    [Fact]
    public async Task ASessionThatEscalated_StaysRemote_ForToolResultsAndNewTurns()
    {
        // No local answer clears a confidence bar of 0: the first step escalates.
        await using var gateway = new GatewayFactory(Settings().Set("SlmGateway:Routing:MinConfidenceMean", "0"));
        var client = Sdk.Chat(gateway, "auto");
        var conversation = FirstStep("What's the weather in Paris today?");

        Assert.Equal(("remote", "escalated_confidence"), Route(await client.CompleteChatAsync(conversation, Options())));
        AnswerToolCall(conversation, 1, """{"temperature": 21}""");
        Assert.Equal(("remote", "session_remote"), Route(await client.CompleteChatAsync(conversation, Options())));
        conversation.Add(new AssistantChatMessage("It is 21 degrees."));
        conversation.Add(new UserChatMessage("And in Rome?"));
        Assert.Equal(("remote", "session_remote"), Route(await client.CompleteChatAsync(conversation, Options())));

        // The same first ask again starts the conversation afresh: it is decided on its own.
        Assert.Equal("escalated_confidence", Route(await client.CompleteChatAsync(FirstStep("What's the weather in Paris today?"), Options())).Reason);
    }

    [Fact]
    public async Task ReplicasSharingThePostgresSessionStore_SeeTheSameSessions()
    {
        var database = await postgres.CreateDatabaseAsync();
        GatewaySettings Shared() => Settings().Set("SlmGateway:Routing:Sessions:Store", "postgres").Set("SlmGateway:Routing:Sessions:ConnectionString", database);
        await using var escalating = new GatewayFactory(Shared().Set("SlmGateway:Routing:MinConfidenceMean", "0"));
        await using var other = new GatewayFactory(Shared());
        await using var third = new GatewayFactory(Shared());
        var conversation = FirstStep("What's the weather in Paris today?");

        Assert.Equal(("remote", "escalated_confidence"), Route(await Sdk.Chat(escalating, "auto").CompleteChatAsync(conversation, Options())));
        AnswerToolCall(conversation, 1, """{"temperature": 21}""");

        Assert.Equal(("remote", "session_remote"), Route(await Sdk.Chat(other, "auto").CompleteChatAsync(conversation, Options())));
        var local = FirstStep("What's the weather in Oslo today?");
        Assert.Equal(("local", "semantic_local"), Route(await Sdk.Chat(other, "auto").CompleteChatAsync(local, Options())));
        AnswerToolCall(local, 1, """{"temperature": -3}""");
        Assert.Equal(("local", "session_continues"), Route(await Sdk.Chat(third, "auto").CompleteChatAsync(local, Options())));
    }

    [Fact]
    public async Task TheSessionHeader_JoinsRequestsWhoseFirstAsksDiffer()
    {
        await using var gateway = new GatewayFactory(Settings().Set("SlmGateway:Routing:MinConfidenceMean", "0"));
        using var client = gateway.CreateHttpClient();
        client.DefaultRequestHeaders.Add("x-slmgw-session", "run-42");

        using var first = await client.PostAsync("/v1/chat/completions", Json(Body("What's the weather in Paris today?")));
        using var second = await client.PostAsync("/v1/chat/completions", Json(Body("What's the weather in Madrid today?")));

        Assert.Equal("escalated_confidence", first.Headers.GetValues("x-slmgw-reason").Single());
        Assert.Equal("session_remote", second.Headers.GetValues("x-slmgw-reason").Single());
    }

    private GatewaySettings Settings() =>
        new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom)
            .Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini")
            .AutoRouting("tiny-random", "gpt-4o-mini");

    private static List<ChatMessage> FirstStep(string ask) => [new SystemChatMessage("You are a travel assistant."), new UserChatMessage(ask)];

    private static void AnswerToolCall(List<ChatMessage> conversation, int number, string result)
    {
        var id = $"call_{number}";
        conversation.Add(new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall(id, "get_weather", BinaryData.FromString("""{"city":"Paris"}"""))]));
        conversation.Add(new ToolChatMessage(id, result));
    }

    private static ChatCompletionOptions Options() => new() { Tools = { Weather }, MaxOutputTokenCount = 12 };

    private static (string Route, string Reason) Route(ClientResult<ChatCompletion> result)
    {
        var headers = result.GetRawResponse().Headers;
        headers.TryGetValue("x-slmgw-route", out var route);
        headers.TryGetValue("x-slmgw-reason", out var reason);
        return (route!, reason!);
    }

    private static string Body(string ask) => new JsonObject
    {
        ["model"] = "auto",
        ["max_tokens"] = 12,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = ask }),
        ["tools"] = JsonNode.Parse("""[{"type":"function","function":{"name":"get_weather","description":"Current weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]"""),
    }.ToJsonString();

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");
}
