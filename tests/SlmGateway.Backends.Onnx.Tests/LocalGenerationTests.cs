using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Json.Schema;
using SlmGateway.Backends.Onnx.Generation;
using SlmGateway.Backends.Onnx.Guidance;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Backends.Onnx.Tests;

/// <summary>Real generation on the tiny fixture through the engine's own loop.</summary>
public sealed class LocalGenerationTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private const string PersonSchema = """
        {"$schema": "http://json-schema.org/draft-07/schema#", "title": "Person", "description": "someone",
         "type": "object",
         "properties": {"name": {"type": "string", "maxLength": 24}, "age": {"type": "integer", "minimum": 0, "maximum": 120},
                        "admin": {"type": "boolean"}, "role": {"enum": ["dev", "ops"]}},
         "required": ["name", "age", "admin", "role"], "additionalProperties": false}
        """;

    [Fact]
    public async Task ParallelGenerations_MatchSerialOnes_ForTheSameSeeds()
    {
        long[] seeds = [1, 2, 3, 4];
        var serial = new List<string>();
        foreach (var seed in seeds)
        {
            serial.Add((await RunAsync(Plan(seed: seed, maxTokens: 48))).Text);
        }

        var parallel = await Task.WhenAll(seeds.Select(seed => Task.Run(() => RunAsync(Plan(seed: seed, maxTokens: 48)))));

        Assert.Equal(serial, parallel.Select(result => result.Text));
        Assert.Equal(4, serial.Distinct().Count());
    }

    [Fact]
    public async Task GuidedJson_IsValidAgainstTheClientsSchema_ForEverySeedTried()
    {
        var format = new ResponseFormat { Type = "json_schema", JsonSchema = new JsonSchemaFormat { Name = "person", Schema = RawJsonValue.From(JsonDocument.Parse(PersonSchema).RootElement) } };
        var guidance = new GuidanceSpec("json_schema", GuidanceSchema.ForResponseFormat(format, new GuidanceLimits(256, 1024)));
        var schema = JsonSchema.FromText(PersonSchema);

        for (var seed = 1; seed <= 20; seed++)
        {
            var (text, finished) = await RunAsync(Plan(seed: seed, maxTokens: 200) with { Guidance = guidance });

            Assert.Equal("stop", finished.FinishReason);
            var result = schema.Evaluate(JsonNode.Parse(text));
            Assert.True(result.IsValid, $"seed {seed}: {text}");
        }
    }

    [Fact]
    public async Task GuidedToolCall_NamesTheToolAndMatchesItsArgumentSchema_ForEverySeedTried()
    {
        const string parameters = """{"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}}, "required": ["city", "days"]}""";
        var tools = new List<ToolDefinition>
        {
            new() { Type = "function", Function = new FunctionDefinition { Name = "get_weather", Parameters = RawJsonValue.From(JsonDocument.Parse(parameters).RootElement) } },
            new() { Type = "function", Function = new FunctionDefinition { Name = "get_time", Parameters = RawJsonValue.From(JsonDocument.Parse("""{"type": "object", "properties": {}}""").RootElement) } },
        };
        var guidance = new GuidanceSpec("json_schema", GuidanceSchema.ForToolCall(tools, "get_weather", new GuidanceLimits(32, 1024)));
        var schema = JsonSchema.FromText(parameters);

        for (var seed = 1; seed <= 20; seed++)
        {
            var (text, _) = await RunAsync(Plan(seed: seed, maxTokens: 120) with { Guidance = guidance });

            var call = JsonNode.Parse(text)!;
            Assert.Equal("get_weather", (string?)call["name"]);
            Assert.True(schema.Evaluate(call["arguments"]).IsValid, $"seed {seed}: {text}");
        }
    }

    [Fact]
    public async Task Logprobs_AreLogProbabilities_WithTheTopAlternativesInOrder()
    {
        var events = await RunEventsAsync(Plan(seed: 5, maxTokens: 16) with { TopLogprobs = 3 });

        var tokens = events.OfType<TokenGenerated>().Select(token => token.Logprob!).ToList();
        Assert.Equal(16, tokens.Count);
        foreach (var token in tokens)
        {
            Assert.InRange(token.Logprob, double.NegativeInfinity, 0);
            Assert.Equal(3, token.TopLogprobs.Count);
            Assert.True(token.TopLogprobs.Zip(token.TopLogprobs.Skip(1)).All(pair => pair.First.Logprob >= pair.Second.Logprob));
            Assert.True(token.TopLogprobs[0].Logprob >= token.Logprob);
        }

        var confidence = events.OfType<GenerationFinished>().Single().Confidence!;
        Assert.Equal(tokens.Average(token => token.Logprob), confidence.MeanLogprob, 6);
        Assert.Equal(tokens.Min(token => token.Logprob), confidence.MinLogprob, 6);
    }

    [Fact]
    public async Task Cancellation_StopsGeneration_AndFreesTheSlot()
    {
        var scheduler = fixture.Model.Scheduler;
        using var cancellation = new CancellationTokenSource();
        var slot = await scheduler.EnterAsync(CancellationToken.None);
        var reader = GenerationLoop.Start(fixture.Model, Plan(seed: 9, maxTokens: 2000), slot!, cancellation.Token);

        await reader.ReadAsync();
        await cancellation.CancelAsync();

        var tokens = 1;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in reader.ReadAllAsync())
            {
                Assert.IsType<TokenGenerated>(item);
                tokens++;
            }
        });
        Assert.True(tokens < 2000, $"generation ran to its end ({tokens} tokens)");
        Assert.Equal(0, scheduler.Active);
    }

    private GenerationPlan Plan(long seed, int maxTokens)
    {
        using var sequences = fixture.Model.Tokenizer.Encode(
            fixture.Model.Tokenizer.ApplyChatTemplate(null, """[{"role":"user","content":"Who are you?"}]""", null, true));
        return new GenerationPlan(sequences[0].ToArray(), maxTokens, 1.0, 1.0, seed, [], null, null, MeasureConfidence: true);
    }

    private async Task<(string Text, GenerationFinished Finished)> RunAsync(GenerationPlan plan)
    {
        var events = await RunEventsAsync(plan);
        return (string.Concat(events.OfType<TokenGenerated>().Select(token => token.Text)), events.OfType<GenerationFinished>().Single());
    }

    private async Task<List<GenerationEvent>> RunEventsAsync(GenerationPlan plan)
    {
        var slot = await fixture.Model.Scheduler.EnterAsync(CancellationToken.None);
        var reader = GenerationLoop.Start(fixture.Model, plan, slot!, CancellationToken.None);
        var events = new List<GenerationEvent>();
        await foreach (var item in reader.ReadAllAsync())
        {
            events.Add(item);
        }

        return events;
    }
}
