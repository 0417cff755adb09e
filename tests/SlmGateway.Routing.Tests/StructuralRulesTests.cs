using System.Text.Json;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Core.Routing;
using SlmGateway.Routing.Classification;

namespace SlmGateway.Routing.Tests;

/// <summary>The rules that settle a request without a model, and how structure moves the semantic vote.</summary>
public sealed class StructuralRulesTests
{
    private static readonly LocalLimits Limits = new(ContextTokens: 1000, MaxOutputTokens: 256);

    [Theory]
    [InlineData("""{"model":"auto","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x/y.png"}}]}]}""", "remote", "unsupported_locally")]
    [InlineData("""{"model":"auto","n":2,"messages":[{"role":"user","content":"hi"}]}""", "remote", "unsupported_locally")]
    [InlineData("""{"model":"auto","max_tokens":4000,"messages":[{"role":"user","content":"hi"}]}""", "remote", "long_output")]
    [InlineData("""{"model":"auto","tool_choice":"required","tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"hi"}]}""", "local", "forced_structure")]
    [InlineData("""{"model":"auto","tool_choice":{"type":"function","function":{"name":"f"}},"tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"hi"}]}""", "local", "forced_structure")]
    [InlineData("""{"model":"auto","response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{}}},"messages":[{"role":"user","content":"hi"}]}""", "local", "forced_structure")]
    public void Rule_SettlesTheRequest(string json, string target, string reason)
    {
        var decision = RequestClassifier.Structural(RequestFeatures.Extract(Parse(json)), Limits);

        Assert.Equal((target, reason), (decision?.Target, decision?.Reason));
    }

    [Fact]
    public void PromptLongerThanTheLocalContext_GoesRemote()
    {
        var json = $$"""{"model":"auto","messages":[{"role":"user","content":"{{new string('a', 5000)}}"}]}""";

        Assert.Equal(RoutingReasons.TooLong, RequestClassifier.Structural(RequestFeatures.Extract(Parse(json)), Limits)?.Reason);
    }

    [Fact]
    public void PlainShortQuestion_IsLeftToTheSemanticStep() =>
        Assert.Null(RequestClassifier.Structural(RequestFeatures.Extract(Parse("""{"model":"auto","messages":[{"role":"user","content":"hi"}]}""")), Limits));

    [Fact]
    public void AStepAfterToolCalls_AsksWhatTheResultsSay_AndItsShowsInTheSignals()
    {
        var features = RequestFeatures.Extract(Parse("""
            {"model":"auto","tools":[{"type":"function","function":{"name":"get_weather"}}],"messages":[
              {"role":"user","content":"Weather in Oslo?"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"c1","content":"{\"temp\": -3}"}]}
            """));
        var signals = ShapeSignals.Of(features);

        Assert.True(features.FollowsToolResult);
        Assert.Equal("Weather in Oslo?\n{\"temp\": -3}", features.Ask);
        Assert.Equal(1, signals[Array.IndexOf(ShapeSignals.Names, "tools_offered")]);
        Assert.Equal(1, signals[Array.IndexOf(ShapeSignals.Names, "follows_tool_result")]);
        Assert.All(signals, value => Assert.InRange(value, 0, 1));
    }

    [Fact]
    public void ANewUserTurn_EndsTheToolLoop()
    {
        var features = RequestFeatures.Extract(Parse("""
            {"model":"auto","messages":[{"role":"user","content":"a"},{"role":"tool","tool_call_id":"c1","content":"r"},{"role":"user","content":"b"}]}
            """));

        Assert.False(features.FollowsToolResult);
        Assert.Equal("b", features.Ask);
    }

    [Fact]
    public void ALongAsk_IsEmbeddedByItsStartAndItsEnd()
    {
        var ask = "Task: summarise. " + new string('x', 5000) + " Question: what is the total?";
        var embedded = AskText.ForEmbedding(ask);

        Assert.Equal(AskText.HeadChars + AskText.TailChars + 3, embedded.Length);
        Assert.StartsWith("Task: summarise.", embedded, StringComparison.Ordinal);
        Assert.EndsWith("Question: what is the total?", embedded, StringComparison.Ordinal);
        Assert.Equal("short ask", AskText.ForEmbedding("short ask"));
    }

    [Fact]
    public void CodeAndMathematics_AreSeen()
    {
        float Signal(string content, string name) => ShapeSignals.Of(RequestFeatures.Extract(Parse(
            $$"""{"model":"auto","messages":[{"role":"user","content":{{JsonSerializer.Serialize(content)}}}]}""")))[Array.IndexOf(ShapeSignals.Names, name)];

        Assert.Equal(1, Signal("Fix this:\ndef f(x):\n    return x", "code"));
        Assert.Equal(0, Signal("Book a table for two", "code"));
        Assert.Equal(1, Signal("Solve 3x + 4 = 19", "math"));
        Assert.Equal(0, Signal("Call me at 5 pm", "math"));
    }

    private static ChatCompletionRequest Parse(string json) => JsonSerializer.Deserialize(json, WireJsonContext.Default.ChatCompletionRequest)!;
}
