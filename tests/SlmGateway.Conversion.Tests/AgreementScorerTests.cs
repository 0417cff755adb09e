using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Conversion.Shadow;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Ports;
using SlmGateway.Routing.Semantic;

namespace SlmGateway.Conversion.Tests;

/// <summary>S4 scoring with the real MiniLM embedder.</summary>
public sealed class AgreementScorerTests : IDisposable
{
    private static readonly ChatCompletionRequest Text = Request("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""");
    private static readonly ChatCompletionRequest Json = Request("""{"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}""");
    private readonly RequestEmbedder _embedder = new();
    private readonly AgreementScorer _scorer;

    public AgreementScorerTests() => _scorer = new AgreementScorer(_embedder, new TestOptionsMonitor<LoopOptions>(new LoopOptions()));

    [Fact]
    public void SameCalls_InAnotherOrder_WithEqualArguments_Agree()
    {
        var remote = Remote(("get_weather", """{"city":"Paris","units":"metric"}"""), ("get_time", """{"tz":"CET"}"""));
        var local = Local(("get_time", """{ "tz" : "CET" }"""), ("get_weather", """{"units":"metric","city":"Paris"}"""));

        Assert.Equal((true, 1.0), _scorer.Score(remote, local, Text));
    }

    [Fact]
    public void NumbersCompareByValue()
    {
        Assert.True(_scorer.Score(Remote(("area", """{"r":2}""")), Local(("area", """{"r":2.0}""")), Text).Agreed);
        Assert.False(_scorer.Score(Remote(("area", """{"r":2}""")), Local(("area", """{"r":3}""")), Text).Agreed);
    }

    [Fact]
    public void OneCallOfTwo_IsHalfAgreement_AndNoAgreement()
    {
        var (agreed, similarity) = _scorer.Score(Remote(("a", "{}"), ("b", "{}")), Local(("a", "{}")), Text);

        Assert.Equal((false, 0.5), (agreed, similarity));
    }

    [Fact]
    public void TextAgainstToolCall_Disagrees() =>
        Assert.Equal((false, 0.0), _scorer.Score(new JsonObject { ["role"] = "assistant", ["content"] = "It is sunny." }, Local(("get_weather", "{}")), Text));

    [Fact]
    public void RejectedLocalAnswer_NeverAgrees() =>
        Assert.False(_scorer.Score(Remote(("a", "{}")), Local(("a", "{}")) with { Rejection = "tool_call" }, Text).Agreed);

    [Fact]
    public void FreeText_AgreesByMeaning()
    {
        var remote = new JsonObject { ["role"] = "assistant", ["content"] = "The capital of France is Paris." };

        Assert.True(_scorer.Score(remote, new LocalShadowAnswer("Paris is the capital of France.", null, null, TimeSpan.Zero), Text).Agreed);
        Assert.False(_scorer.Score(remote, new LocalShadowAnswer("Bananas are rich in potassium.", null, null, TimeSpan.Zero), Text).Agreed);
    }

    [Fact]
    public void JsonOutput_AgreesOnlyWhenEqual()
    {
        var remote = new JsonObject { ["role"] = "assistant", ["content"] = """{"label":"billing","urgent":true}""" };

        Assert.True(_scorer.Score(remote, new LocalShadowAnswer("""{"urgent":true,"label":"billing"}""", null, null, TimeSpan.Zero), Json).Agreed);
        Assert.False(_scorer.Score(remote, new LocalShadowAnswer("""{"label":"bug","urgent":true}""", null, null, TimeSpan.Zero), Json).Agreed);
    }

    public void Dispose() => _embedder.Dispose();

    private static ChatCompletionRequest Request(string json) => JsonSerializer.Deserialize(json, WireJsonContext.Default.ChatCompletionRequest)!;

    private static JsonObject Remote(params (string Name, string Arguments)[] calls) => new()
    {
        ["role"] = "assistant",
        ["content"] = null,
        ["tool_calls"] = new JsonArray(calls.Select(c => (JsonNode)new JsonObject
        {
            ["id"] = "call_x",
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments },
        }).ToArray()),
    };

    private static LocalShadowAnswer Local(params (string Name, string Arguments)[] calls) =>
        new(null, calls.Select(c => new ToolCall { Id = "call_y", Type = "function", Function = new FunctionCall { Name = c.Name, Arguments = c.Arguments } }).ToList(), null, TimeSpan.Zero);
}
