using System.Net;
using System.Text;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests;

/// <summary>Every malformed request gets an OpenAI-shaped 4xx and never reaches the upstream.</summary>
public sealed class BadInputTests : GatewayTest
{
    private const string User = """[{"role":"user","content":"hi"}]""";

    public static TheoryData<string, string, int, string?> ChatBodies => new()
    {
        { "invalid JSON", "{\"model\": \"gpt-test\", \"messages\": [", 400, null },
        { "not an object", "[1, 2, 3]", 400, null },
        { "null body", "null", 400, null },
        { "empty body", "", 400, null },
        { "missing model", $$$"""{"messages":{{{User}}}}""", 400, "model" },
        { "blank model", $$$"""{"model":"  ","messages":{{{User}}}}""", 400, "model" },
        { "model of wrong type", $$$"""{"model":42,"messages":{{{User}}}}""", 400, "model" },
        { "unknown model", $$$"""{"model":"no-such-model","messages":{{{User}}}}""", 404, "model" },
        { "missing messages", """{"model":"gpt-test"}""", 400, "messages" },
        { "empty messages", """{"model":"gpt-test","messages":[]}""", 400, "messages" },
        { "messages not an array", """{"model":"gpt-test","messages":"hi"}""", 400, "messages" },
        { "null message", """{"model":"gpt-test","messages":[null]}""", 400, "messages[0]" },
        { "unknown role", """{"model":"gpt-test","messages":[{"role":"wizard","content":"hi"}]}""", 400, "messages[0].role" },
        { "missing role", """{"model":"gpt-test","messages":[{"content":"hi"}]}""", 400, "messages[0].role" },
        { "user without content", """{"model":"gpt-test","messages":[{"role":"user"}]}""", 400, "messages[0].content" },
        { "content of wrong type", """{"model":"gpt-test","messages":[{"role":"user","content":5}]}""", 400, "messages[0].content" },
        { "content part without type", """{"model":"gpt-test","messages":[{"role":"user","content":[{"text":"hi"}]}]}""", 400, "messages[0].content[0]" },
        { "content as an object", """{"model":"gpt-test","messages":[{"role":"user","content":{"type":"text","text":"hi"}}]}""", 400, "messages[0].content" },
        { "content part that is a string", """{"model":"gpt-test","messages":[{"role":"user","content":[{"type":"text","text":"a"},"hi"]}]}""", 400, "messages[0].content[1]" },
        { "content part with a numeric type", """{"model":"gpt-test","messages":[{"role":"user","content":[{"type":1,"text":"hi"}]}]}""", 400, "messages[0].content[0]" },
        { "text part whose text is an object", """{"model":"gpt-test","messages":[{"role":"user","content":[{"type":"text","text":{"value":"hi"}}]}]}""", 400, "messages[0].content[0].text" },
        { "tool message without id", """{"model":"gpt-test","messages":[{"role":"tool","content":"42"}]}""", 400, "messages[0].tool_call_id" },
        { "temperature as string", $$$"""{"model":"gpt-test","messages":{{{User}}},"temperature":"hot"}""", 400, "temperature" },
        { "temperature out of range", $$$"""{"model":"gpt-test","messages":{{{User}}},"temperature":3}""", 400, "temperature" },
        { "top_p out of range", $$$"""{"model":"gpt-test","messages":{{{User}}},"top_p":1.5}""", 400, "top_p" },
        { "n zero", $$$"""{"model":"gpt-test","messages":{{{User}}},"n":0}""", 400, "n" },
        { "n huge", $$$"""{"model":"gpt-test","messages":{{{User}}},"n":100000}""", 400, "n" },
        { "max_tokens fractional", $$$"""{"model":"gpt-test","messages":{{{User}}},"max_tokens":2.5}""", 400, "max_tokens" },
        { "max_completion_tokens zero", $$$"""{"model":"gpt-test","messages":{{{User}}},"max_completion_tokens":0}""", 400, "max_completion_tokens" },
        { "max_tokens overflow", $$$"""{"model":"gpt-test","messages":{{{User}}},"max_tokens":1e400}""", 400, "max_tokens" },
        { "stream as string", $$$"""{"model":"gpt-test","messages":{{{User}}},"stream":"yes"}""", 400, "stream" },
        { "stream_options without stream", $$$"""{"model":"gpt-test","messages":{{{User}}},"stream_options":{"include_usage":true}}""", 400, "stream_options" },
        { "too many stop sequences", $$$"""{"model":"gpt-test","messages":{{{User}}},"stop":["a","b","c","d","e"]}""", 400, "stop" },
        { "stop of wrong type", $$$"""{"model":"gpt-test","messages":{{{User}}},"stop":7}""", 400, "stop" },
        { "stop with a number among strings", $$$"""{"model":"gpt-test","messages":{{{User}}},"stop":["a",7]}""", 400, "stop" },
        { "stop with a nested array", $$$"""{"model":"gpt-test","messages":{{{User}}},"stop":[["a"]]}""", 400, "stop" },
        { "stop with an empty sequence", $$$"""{"model":"gpt-test","messages":{{{User}}},"stop":["a",""]}""", 400, "stop" },
        { "stop as an object", $$$"""{"model":"gpt-test","messages":{{{User}}},"stop":{"a":"b"}}""", 400, "stop" },
        { "tool of wrong type", $$$"""{"model":"gpt-test","messages":{{{User}}},"tools":[{"type":"retrieval"}]}""", 400, "tools[0].type" },
        { "tool with bad name", $$$"""{"model":"gpt-test","messages":{{{User}}},"tools":[{"type":"function","function":{"name":"math.factorial"}}]}""", 400, "tools[0].function.name" },
        { "tool_choice unknown", $$$"""{"model":"gpt-test","messages":{{{User}}},"tool_choice":"sometimes"}""", 400, "tool_choice" },
        { "tool_choice names a missing tool", $$$$"""{"model":"gpt-test","messages":{{{{User}}}},"tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":{"type":"function","function":{"name":"b"}}}""", 400, "tool_choice" },
        { "required without tools", $$$"""{"model":"gpt-test","messages":{{{User}}},"tool_choice":"required"}""", 400, "tool_choice" },
        { "tool_choice as a number", $$$"""{"model":"gpt-test","messages":{{{User}}},"tool_choice":1}""", 400, "tool_choice" },
        { "tool_choice as an array", $$$"""{"model":"gpt-test","messages":{{{User}}},"tool_choice":["auto"]}""", 400, "tool_choice" },
        { "tool_choice object without a function", $$$"""{"model":"gpt-test","messages":{{{User}}},"tool_choice":{"type":"function","name":"a"}}""", 400, "tool_choice" },
        { "tool_choice function name not a string", $$$$"""{"model":"gpt-test","messages":{{{{User}}}},"tool_choice":{"type":"function","function":{"name":["a"]}}}""", 400, "tool_choice" },
        { "response_format unknown", $$$"""{"model":"gpt-test","messages":{{{User}}},"response_format":{"type":"yaml"}}""", 400, "response_format.type" },
        { "json_schema without name", """{"model":"gpt-test","messages":""" + User + ""","response_format":{"type":"json_schema","json_schema":{"schema":{}}}}""", 400, "response_format.json_schema.name" },
        { "top_logprobs without logprobs", $$$"""{"model":"gpt-test","messages":{{{User}}},"top_logprobs":3}""", 400, "top_logprobs" },
        { "deeply nested JSON", "{\"model\":\"gpt-test\",\"messages\":" + new string('[', 200) + new string(']', 200) + "}", 400, null },
    };

    protected override GatewaySettings Configure(string upstreamBaseUrl)
    {
        return new GatewaySettings()
            .Upstream("primary", upstreamBaseUrl, "gpt-test")
            .Set("SlmGateway:MaxRequestBodyBytes", "4096");
    }

    [Theory]
    [MemberData(nameof(ChatBodies))]
    public async Task ChatCompletions_BadBody_AnswersOpenAiError(string scenario, string body, int status, string? param)
    {
        using var client = Gateway.CreateHttpClient();

        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

        var error = await OpenAiErrorAssert.IsErrorAsync(response, (HttpStatusCode)status);
        if (param is not null)
        {
            Assert.True(param == error.GetProperty("param").GetString(), $"{scenario}: param was {error.GetProperty("param")}");
        }

        Assert.Equal(0, Upstream.RequestCount);
    }

    [Fact]
    public async Task UnknownModel_HasModelNotFoundCode()
    {
        using var client = Gateway.CreateHttpClient();

        using var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt-nope","messages":[{"role":"user","content":"hi"}]}"""));

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task WrongContentType_Answers415(string? contentType)
    {
        using var client = Gateway.CreateHttpClient();
        var content = new ByteArrayContent("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}"""u8.ToArray());
        if (contentType is not null)
        {
            content.Headers.ContentType = new(contentType);
        }

        using var response = await client.PostAsync("/v1/chat/completions", content);

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal(0, Upstream.RequestCount);
    }

    [Fact]
    public async Task BodyOverLimit_WithContentLength_Answers413()
    {
        using var client = Gateway.CreateHttpClient();
        var body = $$$"""{"model":"gpt-test","messages":[{"role":"user","content":"{{{new string('x', 5000)}}}"}]}""";

        using var response = await client.PostAsync("/v1/chat/completions", Json(body));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task BodyOverLimit_Chunked_Answers413()
    {
        using var client = Gateway.CreateHttpClient();
        var body = $$$"""{"model":"gpt-test","messages":[{"role":"user","content":"{{{new string('x', 50_000)}}}"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(body) };
        request.Headers.TransferEncodingChunked = true;

        using var response = await client.SendAsync(request);

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("/v1/embeddings", """{"input":"hi"}""", 400)]
    [InlineData("/v1/embeddings", """{"model":"nope","input":"hi"}""", 404)]
    [InlineData("/v1/completions", """{"model":"gpt-test","prompt":"hi",""", 400)]
    [InlineData("/v1/responses", """{"model":["gpt-test"]}""", 400)]
    public async Task ForwardedEndpoints_BadBody_AnswerOpenAiError(string path, string body, int status)
    {
        using var client = Gateway.CreateHttpClient();

        using var response = await client.PostAsync(path, Json(body));

        await OpenAiErrorAssert.IsErrorAsync(response, (HttpStatusCode)status);
        Assert.Equal(0, Upstream.RequestCount);
    }

    [Fact]
    public async Task UnknownUrl_Answers404InOpenAiShape()
    {
        using var client = Gateway.CreateHttpClient();

        using var response = await client.PostAsync("/v1/images/generations", Json("{}"));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task WrongMethod_Answers405InOpenAiShape()
    {
        using var client = Gateway.CreateHttpClient();

        using var response = await client.GetAsync("/v1/chat/completions");

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task BadRequests_DoNotStopGoodOnes()
    {
        using var client = Gateway.CreateHttpClient();
        for (var i = 0; i < 20; i++)
        {
            using var bad = await client.PostAsync("/v1/chat/completions", Json("{\"model\":"));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        using var good = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
