using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests;

/// <summary>The official OpenAI .NET SDK through the gateway to a provider-like upstream.</summary>
public sealed class SdkPassthroughTests : GatewayTest
{

    protected override GatewaySettings Configure(string upstreamBaseUrl)
    {
        Environment.SetEnvironmentVariable("SLMGW_TEST_UPSTREAM_KEY", "sk-upstream-secret");
        return new GatewaySettings().Upstream(
            "primary", upstreamBaseUrl, ["gpt-test=provider-model", "same-name"],
            o =>
            {
                o["ApiKeyEnv"] = "SLMGW_TEST_UPSTREAM_KEY";
                o["Headers:OpenAI-Organization"] = "org-test";
            });
    }

    [Fact]
    public async Task CompleteChat_PlainRequest_ReturnsUpstreamAnswer()
    {
        var completion = (await Sdk.Chat(Gateway, "gpt-test").CompleteChatAsync([new UserChatMessage("Say hello")])).Value;

        Assert.Equal(OpenAiResponses.DefaultContent, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(8, completion.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task CompleteChatStreaming_ReturnsEveryChunkAndUsage()
    {
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Sdk.Chat(Gateway, "gpt-test").CompleteChatStreamingAsync([new UserChatMessage("Say hello")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal(OpenAiResponses.DefaultContent + " ", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
    }

    [Fact]
    public async Task Forwarding_RewritesOnlyTheModelAndSwapsCredentials()
    {
        using var client = Gateway.CreateHttpClient();
        const string body = "{ \"messages\" : [{\"role\":\"user\",\"content\":\"hi\"}],\n  \"model\":\"gpt-test\", \"temperature\": 0.50, \"x_vendor\": {\"model\": \"inner\"} }";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", "client-secret-key");
        request.Headers.Add("Cookie", "session=abc");

        using var response = await client.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(Upstream.Requests);
        Assert.Equal(body.Replace("\"gpt-test\"", "\"provider-model\"", StringComparison.Ordinal), Encoding.UTF8.GetString(received.Body));
        Assert.Equal("/v1/chat/completions", received.Path);
        Assert.Equal("Bearer sk-upstream-secret", received.Header("Authorization"));
        Assert.Equal("org-test", received.Header("OpenAI-Organization"));
        Assert.Null(received.Header("Cookie"));
        Assert.Equal("primary", response.Headers.GetValues("x-slmgw-upstream").Single());
        Assert.Equal("remote", response.Headers.GetValues("x-slmgw-route").Single());
        Assert.DoesNotContain("sk-upstream-secret", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forwarding_SameModelName_ForwardsBodyUnchanged()
    {
        using var client = Gateway.CreateHttpClient();
        const string body = """{"model":"same-name","messages":[{"role":"user","content":"h\u00e9 \ud83d\ude00"}]}""";

        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Encoding.UTF8.GetBytes(body), Assert.Single(Upstream.Requests).Body);
    }

    [Fact]
    public async Task CompleteChat_WithTools_ReturnsToolCalls()
    {
        Upstream.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, 200,
            """{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"provider-model","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":20,"completion_tokens":8,"total_tokens":28}}""");
        var options = new ChatCompletionOptions { ToolChoice = ChatToolChoice.CreateRequiredChoice() };
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "Weather of a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""")));

        var completion = (await Sdk.Chat(Gateway, "gpt-test").CompleteChatAsync([new UserChatMessage("Weather in Paris?")], options)).Value;

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("call_1", call.Id);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Paris", JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("city").GetString());
        using var sent = Assert.Single(Upstream.Requests).Json();
        Assert.Equal("required", sent.RootElement.GetProperty("tool_choice").GetString());
        Assert.Equal("get_weather", sent.RootElement.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
    }

    [Fact]
    public async Task CompleteChat_WithJsonSchema_ForwardsTheSchema()
    {
        Upstream.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, 200,
            OpenAiResponses.ChatCompletion("provider-model", """{"name":"Ada","age":36}"""));
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat(
                "person",
                BinaryData.FromString("""{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"Person","type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}"""),
                jsonSchemaIsStrict: true),
        };

        var completion = (await Sdk.Chat(Gateway, "gpt-test").CompleteChatAsync([new UserChatMessage("Ada, 36")], options)).Value;

        Assert.Equal(36, JsonDocument.Parse(completion.Content[0].Text).RootElement.GetProperty("age").GetInt32());
        using var sent = Assert.Single(Upstream.Requests).Json();
        var format = sent.RootElement.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.True(format.GetProperty("json_schema").GetProperty("strict").GetBoolean());
    }
}
