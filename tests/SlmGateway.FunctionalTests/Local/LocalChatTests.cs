using System.ClientModel;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using OpenAI.Chat;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Local;

/// <summary>Chat completions served by real generation on the tiny fixture, through HTTP and the official SDK.</summary>
public sealed class LocalChatTests : IAsyncLifetime
{
    private const string WeatherParameters = """
        {"type": "object", "properties": {"city": {"type": "string", "maxLength": 20}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
         "required": ["city", "days"], "additionalProperties": false}
        """;

    private GatewayFactory _gateway = null!;

    public Task InitializeAsync()
    {
        _gateway = new GatewayFactory(new GatewaySettings().LocalModel("tiny-random", TestModels.TinyRandom, ("MaxConcurrency", "4")));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Sdk_CompleteChat_IsAnsweredLocally_UpToMaxTokens()
    {
        var client = Sdk.Chat(_gateway, "tiny-random");

        ChatCompletion completion = await client.CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("Who are you?")],
            new ChatCompletionOptions { MaxOutputTokenCount = 12, Seed = 3 });

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(12, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 10);
        Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));
        Assert.Equal("tiny-random", completion.Model);
    }

    [Fact]
    public async Task Sdk_StreamingChat_HasOneFinishReason_AndUsage()
    {
        var client = Sdk.Chat(_gateway, "tiny-random");
        var text = new StringBuilder();
        var finishReasons = new List<ChatFinishReason>();
        ChatTokenUsage? usage = null;

        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Hi")], new ChatCompletionOptions { MaxOutputTokenCount = 10, Seed = 4 }))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(part => part.Text)));
            if (update.FinishReason is { } reason)
            {
                finishReasons.Add(reason);
            }

            usage ??= update.Usage;
        }

        Assert.Equal([ChatFinishReason.Length], finishReasons);
        Assert.Equal(10, usage!.OutputTokenCount);
        Assert.True(text.Length > 0);
    }

    [Fact]
    public async Task Responses_CarryTheLocalRoute_AndConfidence()
    {
        using var client = _gateway.CreateHttpClient();

        using var response = await LocalChat.PostAsync(client, LocalChat.Request(""","max_tokens":5"""));

        Assert.Equal("local", response.Headers.GetValues("x-slmgw-route").Single());
        Assert.Equal("tiny-random", response.Headers.GetValues("x-slmgw-model").Single());
        Assert.Matches(@"^mean=-?\d+\.\d+; min=-?\d+\.\d+$", response.Headers.GetValues("x-slmgw-confidence").Single());
    }

    [Fact]
    public async Task StopSequence_SpanningTokens_EndsTheAnswer_AndNeverLeaks_StreamedOrNot()
    {
        using var client = _gateway.CreateHttpClient();
        const string sampling = ""","max_tokens":60,"seed":11,"temperature":1""";
        var (full, _, _) = await LocalChat.CompleteAsync(client, LocalChat.Request(sampling));
        var stop = full![20..23];
        var expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];
        var withStop = sampling + $$""","stop":["zzzz-never",{{JsonSerializer.Serialize(stop)}}]""";

        var (content, finish, _) = await LocalChat.CompleteAsync(client, LocalChat.Request(withStop));
        var (streamed, streamedFinish, _) = await LocalChat.StreamAsync(client, LocalChat.Request(withStop + ""","stream":true"""));

        Assert.Equal(expected, content);
        Assert.Equal("stop", finish);
        Assert.Equal(expected, streamed);
        Assert.Equal(["stop"], streamedFinish);
    }

    [Fact]
    public async Task ParallelRequests_GiveTheSameAnswers_AsSerialOnes()
    {
        using var client = _gateway.CreateHttpClient();
        string Body(int seed) => LocalChat.Request($$""","max_tokens":32,"seed":{{seed}}""");
        var serial = new List<string?>();
        for (var seed = 1; seed <= 4; seed++)
        {
            serial.Add((await LocalChat.CompleteAsync(client, Body(seed))).Content);
        }

        var parallel = await Task.WhenAll(Enumerable.Range(1, 4).Select(seed => LocalChat.CompleteAsync(client, Body(seed))));

        Assert.Equal(serial, parallel.Select(result => result.Content));
    }

    [Fact]
    public async Task Sdk_RequiredToolCall_NamesADeclaredTool_WithArgumentsMatchingItsSchema()
    {
        var client = Sdk.Chat(_gateway, "tiny-random");
        var options = new ChatCompletionOptions { ToolChoice = ChatToolChoice.CreateRequiredChoice(), Seed = 5, MaxOutputTokenCount = 200 };
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "Weather for a city", BinaryData.FromString(WeatherParameters)));
        options.Tools.Add(ChatTool.CreateFunctionTool("get_time", "Time in a zone", BinaryData.FromString("""{"type":"object","properties":{"zone":{"type":"string","maxLength":8}},"required":["zone"]}""")));

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Weather in Oslo?")], options);

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);
        var schema = call.FunctionName switch
        {
            "get_weather" => WeatherParameters,
            "get_time" => """{"type":"object","properties":{"zone":{"type":"string","maxLength":8}},"required":["zone"]}""",
            var other => throw new Xunit.Sdk.XunitException($"undeclared tool {other}"),
        };
        Assert.True(JsonSchema.FromText(schema).Evaluate(JsonNode.Parse(call.FunctionArguments.ToString())).IsValid, call.FunctionArguments.ToString());
    }

    [Fact]
    public async Task Sdk_NamedToolCall_Streams_AsOneCallWithIdNameAndArguments()
    {
        var client = Sdk.Chat(_gateway, "tiny-random");
        var options = new ChatCompletionOptions { ToolChoice = ChatToolChoice.CreateFunctionChoice("get_weather"), Seed = 6, MaxOutputTokenCount = 200 };
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "Weather for a city", BinaryData.FromString(WeatherParameters)));
        options.Tools.Add(ChatTool.CreateFunctionTool("get_time", "Time", BinaryData.FromString("""{"type":"object","properties":{}}""")));
        var (id, name, arguments, finish) = (string.Empty, string.Empty, new StringBuilder(), (ChatFinishReason?)null);

        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Weather?")], options))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                Assert.Equal(0, call.Index);
                id = call.ToolCallId ?? id;
                name = call.FunctionName ?? name;
                arguments.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.StartsWith("call_", id, StringComparison.Ordinal);
        Assert.Equal("get_weather", name);
        Assert.True(JsonSchema.FromText(WeatherParameters).Evaluate(JsonNode.Parse(arguments.ToString())).IsValid, arguments.ToString());
    }

    [Fact]
    public async Task Sdk_StrictJsonSchema_IsValid_ForEverySeedTried()
    {
        const string schema = """
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Ticket", "type": "object",
             "properties": {"summary": {"type": "string", "description": "one line", "maxLength": 30},
                            "priority": {"type": "string", "enum": ["low", "high"]}, "estimate": {"type": "integer", "minimum": 0, "maximum": 99}},
             "required": ["summary", "priority", "estimate"], "additionalProperties": false}
            """;
        var client = Sdk.Chat(_gateway, "tiny-random");
        var validator = JsonSchema.FromText(schema);

        for (var seed = 1; seed <= 8; seed++)
        {
            var options = new ChatCompletionOptions
            {
                ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("ticket", BinaryData.FromString(schema), jsonSchemaIsStrict: true),
                Seed = seed,
                MaxOutputTokenCount = 200,
            };

            ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("File a ticket.")], options);

            Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
            Assert.True(validator.Evaluate(JsonNode.Parse(completion.Content[0].Text)).IsValid, $"seed {seed}: {completion.Content[0].Text}");
        }
    }

    [Fact]
    public async Task Sdk_Logprobs_OnePerToken_WithTopAlternatives()
    {
        var client = Sdk.Chat(_gateway, "tiny-random");

        ChatCompletion completion = await client.CompleteChatAsync(
            [new UserChatMessage("Hi")],
            new ChatCompletionOptions { IncludeLogProbabilities = true, TopLogProbabilityCount = 2, MaxOutputTokenCount = 8, Seed = 2 });

        Assert.Equal(8, completion.ContentTokenLogProbabilities.Count);
        Assert.All(completion.ContentTokenLogProbabilities, token =>
        {
            Assert.True(token.LogProbability <= 0);
            Assert.Equal(2, token.TopLogProbabilities.Count);
        });
        Assert.Equal(completion.Content[0].Text, string.Concat(completion.ContentTokenLogProbabilities.Select(token => token.Token)));
    }

    [Fact]
    public async Task ToolConversation_WithAssistantCallsAndToolResults_IsServed()
    {
        using var client = _gateway.CreateHttpClient();
        const string body = """
            {"model":"tiny-random","max_tokens":8,"messages":[
              {"role":"developer","content":"Use tools."},
              {"role":"user","content":[{"type":"text","text":"Weather in Oslo?"}]},
              {"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\",\"days\":1}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"sunny"}],
             "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}
            """;

        var (_, finish, response) = await LocalChat.CompleteAsync(client, body);

        Assert.Equal("length", finish);
        Assert.True(response.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 100);
    }

    [Fact]
    public async Task ModelList_HasTheLocalModel_AndReadinessSaysItIsReady()
    {
        var client = new OpenAI.OpenAIClient(new ApiKeyCredential("k"), new OpenAI.OpenAIClientOptions { Endpoint = _gateway.BaseUrl });

        var models = await client.GetOpenAIModelClient().GetModelsAsync();
        using var http = _gateway.CreateHttpClient();
        var state = await LocalChat.WaitUntilReadyAsync(http, "tiny-random");

        Assert.Contains(models.Value, model => model.Id == "tiny-random");
        Assert.Equal("ready", state.GetProperty("state").GetString());
    }
}
