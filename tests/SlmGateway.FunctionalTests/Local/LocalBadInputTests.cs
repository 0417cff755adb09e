using System.Net;
using System.Text;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Local;

/// <summary>Requests a local model cannot serve get a clear 4xx naming the field, and the model keeps serving.</summary>
public sealed class LocalBadInputTests : IAsyncLifetime
{
    private GatewayFactory _gateway = null!;

    public Task InitializeAsync()
    {
        _gateway = new GatewayFactory(new GatewaySettings().LocalModel("tiny-random", TestModels.TinyRandom, ("MaxOutputTokens", "64")));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    public static TheoryData<string, string, string> BadRequests() => new()
    {
        { LocalChat.Request(""","n":2"""), "n", "unsupported_value" },
        { LocalChat.Request(""","max_tokens":65"""), "max_tokens", "invalid_value" },
        { LocalChat.Request(""","max_completion_tokens":1000"""), "max_completion_tokens", "invalid_value" },
        {
            """{"model":"tiny-random","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x/y.png"}}]}]}""",
            "messages[0].content[0].type", "unsupported_content_type"
        },
        { LocalChat.Request(content: new string('x', 3000)), "messages", "context_length_exceeded" },
        { LocalChat.Request(Schema("""{"type":"object","if":{"required":["a"]},"then":{"required":["b"]}}""")), "response_format", "unsupported_schema" },
        { LocalChat.Request(Schema("""{"type":"string","pattern":"(?<=a)b"}""")), "response_format", "unsupported_schema" },
        { LocalChat.Request(Schema("""{"type":"object","properties":{"a":{"$ref":"#/missing"}}}""")), "response_format", "unsupported_schema" },
        {
            LocalChat.Request(""","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","dependentSchemas":{"a":{}}}}}],"tool_choice":"required" """),
            "tools", "unsupported_schema"
        },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_Is400_NamingTheField_AndTheModelStillServes(string body, string param, string code)
    {
        using var client = _gateway.CreateHttpClient();

        using var response = await LocalChat.PostAsync(client, body);

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        var (_, finish, _) = await LocalChat.CompleteAsync(client, LocalChat.Request(""","max_tokens":3"""));
        Assert.Equal("length", finish);
    }

    [Fact]
    public async Task EmbeddingsForALocalChatModel_Are400()
    {
        using var client = _gateway.CreateHttpClient();

        using var response = await client.PostAsync("/v1/embeddings", new StringContent("""{"model":"tiny-random","input":"x"}""", Encoding.UTF8, "application/json"));

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("unsupported_endpoint", error.GetProperty("code").GetString());
    }

    private static string Schema(string schema) =>
        ""","response_format":{"type":"json_schema","json_schema":{"name":"s","schema":""" + schema + "}}";
}
