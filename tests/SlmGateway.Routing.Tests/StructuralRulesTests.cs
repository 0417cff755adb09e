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
    public void OfferedTools_RaiseTheVote_AndNoToolsNorStructure_LowerIt()
    {
        var withTools = RequestFeatures.Extract(Parse("""{"model":"auto","tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"hi"}]}"""));
        var plain = RequestFeatures.Extract(Parse("""{"model":"auto","messages":[{"role":"user","content":"hi"}]}"""));
        var structured = RequestFeatures.Extract(Parse("""{"model":"auto","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.True(RequestClassifier.Combine(0.5, withTools) > 0.5);
        Assert.True(RequestClassifier.Combine(0.5, plain) < 0.5);
        Assert.Equal(0.5, RequestClassifier.Combine(0.5, structured), 6);
    }

    [Fact]
    public void LongAsk_LowersTheVote()
    {
        var longAsk = RequestFeatures.Extract(Parse($$"""{"model":"auto","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"{{new string('b', 1600)}}"}]}"""));

        Assert.Equal(0.3, RequestClassifier.Combine(0.5, longAsk), 6);
    }

    private static ChatCompletionRequest Parse(string json) => JsonSerializer.Deserialize(json, WireJsonContext.Default.ChatCompletionRequest)!;
}
