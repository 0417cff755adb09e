using System.Net;
using System.Text;
using System.Text.Json;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests;

/// <summary>Models, forwarded endpoints and health.</summary>
public sealed class ApiSurfaceTests : GatewayTest
{

    protected override GatewaySettings Configure(string upstreamBaseUrl)
    {
        return new GatewaySettings()
            .Upstream("primary", upstreamBaseUrl, "gpt-test", "text-embed=provider-embed", "org/model-with-slash")
            .Set("SlmGateway:Aliases:smart", "gpt-test");
    }

    [Fact]
    public async Task ListModels_NamesEveryModelAndAlias()
    {
        var models = await GetJsonAsync("/v1/models");

        Assert.Equal("list", models.GetProperty("object").GetString());
        var ids = models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToArray();
        Assert.Equal(["gpt-test", "org/model-with-slash", "smart", "text-embed"], ids);
        foreach (var model in models.GetProperty("data").EnumerateArray())
        {
            Assert.Equal("model", model.GetProperty("object").GetString());
            Assert.True(model.GetProperty("created").GetInt64() < DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        }
    }

    [Fact]
    public async Task ModelsListedBySdk()
    {
        var client = new OpenAI.OpenAIClient(new System.ClientModel.ApiKeyCredential("x"), new OpenAI.OpenAIClientOptions { Endpoint = Gateway.BaseUrl });

        var models = (await client.GetOpenAIModelClient().GetModelsAsync()).Value;

        Assert.Contains(models, m => m.Id == "smart");
    }

    [Theory]
    [InlineData("gpt-test")]
    [InlineData("smart")]
    [InlineData("org/model-with-slash")]
    public async Task GetModel_KnownId_ReturnsIt(string id)
    {
        var model = await GetJsonAsync("/v1/models/" + id);

        Assert.Equal(id, model.GetProperty("id").GetString());
    }

    [Fact]
    public async Task GetModel_UnknownId_Answers404()
    {
        using var client = Gateway.CreateHttpClient();

        using var response = await client.GetAsync("/v1/models/nope");

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Alias_IsServedByItsTarget()
    {
        using var response = await PostAsync("/v1/chat/completions", """{"model":"smart","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-test", response.Headers.GetValues("x-slmgw-model").Single());
        using var sent = Assert.Single(Upstream.Requests).Json();
        Assert.Equal("gpt-test", sent.RootElement.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("/v1/embeddings", """{"model":"text-embed","input":"hello"}""", "/v1/embeddings", "provider-embed")]
    [InlineData("/v1/completions", """{"model":"gpt-test","prompt":"hello"}""", "/v1/completions", "gpt-test")]
    [InlineData("/v1/responses", """{"model":"gpt-test","input":"hello"}""", "/v1/responses", "gpt-test")]
    public async Task ForwardedEndpoints_ReachTheUpstreamPath(string path, string body, string upstreamPath, string upstreamModel)
    {
        using var response = await PostAsync(path, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(Upstream.Requests);
        Assert.Equal(upstreamPath, received.Path);
        using var sent = received.Json();
        Assert.Equal(upstreamModel, sent.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Embeddings_BySdk()
    {
        var client = new OpenAI.OpenAIClient(new System.ClientModel.ApiKeyCredential("x"), new OpenAI.OpenAIClientOptions { Endpoint = Gateway.BaseUrl });

        var embedding = (await client.GetEmbeddingClient("text-embed").GenerateEmbeddingAsync("hello")).Value;

        Assert.Equal(3, embedding.ToFloats().Length);
    }

    [Fact]
    public async Task Health_IsOk_AndReadinessListsUpstreams()
    {
        var health = await GetJsonAsync("/healthz");
        var ready = await GetJsonAsync("/readyz");

        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal("closed", ready.GetProperty("upstreams").GetProperty("primary").GetString());
    }

    [Fact]
    public async Task EveryResponse_CarriesARequestId()
    {
        using var client = Gateway.CreateHttpClient();

        using var response = await client.GetAsync("/v1/models");

        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("x-slmgw-request-id").Single()));
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var client = Gateway.CreateHttpClient();
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body)
    {
        using var client = Gateway.CreateHttpClient();
        return await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
    }
}
