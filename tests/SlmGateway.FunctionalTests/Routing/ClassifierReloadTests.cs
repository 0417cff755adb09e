using System.Net;
using System.Text;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Routing.Classification;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Routing;

/// <summary>A router model file written while the gateway runs is used without a restart; a bad one is refused and the last good one kept.</summary>
public sealed class ClassifierReloadTests : IAsyncLifetime
{
    private const string Essay = """
        {"model":"auto","max_tokens":4,"messages":[{"role":"user","content":"Write a persuasive essay on whether cities should ban cars from their centres."}]}
        """;

    private readonly string _file = Path.Combine(Path.GetTempPath(), $"slmgw-router-{Guid.NewGuid():N}.json");
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        File.Delete(_file);
    }

    [Fact]
    public async Task ANewModelFile_ChangesDecisions_WithoutARestart()
    {
        Constant(bias: 30).Save(_file);
        await using var gateway = new GatewayFactory(new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom)
            .Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini")
            .AutoRouting("tiny-random", "gpt-4o-mini")
            .Set("SlmGateway:Routing:ClassifierFile", _file)
            .Set("SlmGateway:Routing:ClassifierReloadInterval", "00:00:00.100"));
        using var client = gateway.CreateHttpClient();
        Assert.Equal("semantic_local", await ReasonAsync(client));

        Constant(bias: -30).Save(_file);
        Assert.Equal("semantic_remote", await ReasonWithinAsync(client, "semantic_remote"));

        await File.WriteAllTextAsync(_file, "{ this is not a model");
        await Task.Delay(500);
        Assert.Equal("semantic_remote", await ReasonAsync(client));
        using var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    /// <summary>A model that answers the same for every request: its lexical stage, sure of itself (margin 0), has only a bias.</summary>
    private static RouterModel Constant(float bias) =>
        new(new LinearStage(new float[LexicalInput.Dimensions], bias), 0, new LinearStage(new float[RouterModelSource.BuiltIn.Semantic.Weights.Length], bias));

    private static async Task<string> ReasonAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(Essay, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("x-slmgw-reason").Single();
    }

    private static async Task<string> ReasonWithinAsync(HttpClient client, string wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string reason;
        while ((reason = await ReasonAsync(client)) != wanted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return reason;
    }
}
