using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.FunctionalTests.Local;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Routing;

/// <summary>Every route and reason, end to end over HTTP: the tiny local model, a fake remote provider, <c>auto</c> routing.</summary>
public sealed class RoutingTests : IAsyncLifetime
{
    private const string ToolStep = """
        {"model":"auto","max_tokens":12,"messages":[{"role":"user","content":"What's the weather in Paris today?"}],
         "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather for a city",
                   "parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":20}},"required":["city"]}}}]}
        """;

    private const string Essay = """
        {"model":"auto","max_tokens":12,"messages":[{"role":"user","content":"Write a persuasive essay on whether cities should ban cars from their centres, with counterarguments and a rebuttal for each."}]}
        """;

    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task NarrowToolStep_IsServedLocally_BySemanticDecision()
    {
        await using var gateway = new GatewayFactory(Settings());

        var (route, reason, _, model) = await SendAsync(gateway, ToolStep);

        Assert.Equal(("local", "semantic_local", "tiny-random"), (route, reason, model));
        Assert.Equal(0, _upstream.RequestCount);
    }

    [Fact]
    public async Task OpenEndedEssay_GoesRemote_BySemanticDecision_WithTheRemoteModelName()
    {
        await using var gateway = new GatewayFactory(Settings());

        var (route, reason, _, model) = await SendAsync(gateway, Essay);

        Assert.Equal(("remote", "semantic_remote", "gpt-4o-mini"), (route, reason, model));
        using var forwarded = Assert.Single(_upstream.Requests).Json();
        Assert.Equal("gpt-4o-mini", forwarded.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task RequiredToolCall_IsLocal_ByStructure()
    {
        await using var gateway = new GatewayFactory(Settings());

        var (route, reason, body, _) = await SendAsync(gateway, ToolStep.Replace("\"max_tokens\":12", "\"max_tokens\":200,\"tool_choice\":\"required\"", StringComparison.Ordinal));

        Assert.Equal(("local", "forced_structure"), (route, reason));
        Assert.Contains("\"finish_reason\":\"tool_calls\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolCallThatFailsValidation_IsEscalatedToTheRemote()
    {
        await using var gateway = new GatewayFactory(Settings(("Local:Models:0:Guidance", "false")));

        var (route, reason, body, _) = await SendAsync(gateway, ToolStep.Replace("\"max_tokens\":12", "\"max_tokens\":20,\"tool_choice\":\"required\"", StringComparison.Ordinal));

        Assert.Equal(("remote", "escalated_tool_call"), (route, reason));
        Assert.Contains(OpenAiResponses.DefaultContent, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonThatFailsItsSchema_IsEscalatedToTheRemote()
    {
        await using var gateway = new GatewayFactory(Settings(("Local:Models:0:Guidance", "false")));
        const string request = """
            {"model":"auto","max_tokens":20,"messages":[{"role":"user","content":"Give me a ticket."}],
             "response_format":{"type":"json_schema","json_schema":{"name":"t","strict":true,"schema":{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"],"additionalProperties":false}}}}
            """;

        var (route, reason, _, _) = await SendAsync(gateway, request);

        Assert.Equal(("remote", "escalated_schema"), (route, reason));
    }

    [Fact]
    public async Task ToolCallArgumentNotTakenFromTheAsk_IsEscalated_WhenTheFieldIsGrounded()
    {
        // The random model's guided call holds a city it made up: served as it is, unless the model's
        // get_weather.city is grounded, which requires the value to occur in the request. The token budget
        // holds the call even when all 12 characters come out as \u escapes (six tokens each).
        var forced = ToolStep
            .Replace("\"max_tokens\":12", "\"max_tokens\":160,\"tool_choice\":\"required\"", StringComparison.Ordinal)
            .Replace("\"maxLength\":20", "\"minLength\":4,\"maxLength\":12", StringComparison.Ordinal);
        await using (var ungrounded = new GatewayFactory(Settings()))
        {
            var (route, served, _, _) = await SendAsync(ungrounded, forced);
            Assert.Equal(("local", "forced_structure"), (route, served));
        }

        await using var gateway = new GatewayFactory(Settings(("Local:Models:0:GroundedFields:0", "get_weather.city")));

        var (escalatedRoute, reason, body, _) = await SendAsync(gateway, forced);

        Assert.Equal(("remote", "escalated_grounding"), (escalatedRoute, reason));
        Assert.Contains(OpenAiResponses.DefaultContent, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolCallValueThatDoesNotGoWithTheAsk_IsEscalated_WhenTheFieldHasLearnedValues()
    {
        // Guided decoding makes the random model pick one of the two units. Each unit is allowed only
        // with its word in the request: an ask naming neither is escalated whichever unit comes out,
        // an ask naming both is served.
        static string Ask(string question) => $$$$"""
            {"model":"auto","max_tokens":160,"tool_choice":"required","messages":[{"role":"user","content":"{{{{question}}}}"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather for a city",
                       "parameters":{"type":"object","properties":{"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["unit"]}}}]}
            """;
        await using var gateway = new GatewayFactory(Settings(
            ("Local:Models:0:FieldValues:0:Field", "get_weather.unit"), ("Local:Models:0:FieldValues:0:Value", "celsius"), ("Local:Models:0:FieldValues:0:Words:0", "celsius"),
            ("Local:Models:0:FieldValues:1:Field", "get_weather.unit"), ("Local:Models:0:FieldValues:1:Value", "fahrenheit"), ("Local:Models:0:FieldValues:1:Words:0", "fahrenheit")));

        var (route, reason, body, _) = await SendAsync(gateway, Ask("How warm is Paris in kelvin?"));
        var (bothRoute, bothReason, _, _) = await SendAsync(gateway, Ask("How warm is Paris, in Celsius or Fahrenheit?"));

        Assert.Equal(("remote", "escalated_field_value"), (route, reason));
        Assert.Contains(OpenAiResponses.DefaultContent, body, StringComparison.Ordinal);
        Assert.Equal(("local", "forced_structure"), (bothRoute, bothReason));
    }

    [Fact]
    public async Task ToolCallWhoseDifferentFieldsHoldTheSameValue_IsEscalated()
    {
        // Each field's schema allows "celsius" alone, so guided decoding fills both with it.
        const string Convert = """
            {"model":"auto","max_tokens":160,"tool_choice":"required","messages":[{"role":"user","content":"Convert 20 degrees from celsius"}],
             "tools":[{"type":"function","function":{"name":"convert","description":"Converts a temperature",
                       "parameters":{"type":"object","properties":{"from":{"type":"string","enum":["celsius"]},"to":{"type":"string","enum":["celsius"]}},"required":["from","to"]}}}]}
            """;
        await using (var plain = new GatewayFactory(Settings()))
        {
            var (route, served, _, _) = await SendAsync(plain, Convert);
            Assert.Equal(("local", "forced_structure"), (route, served));
        }

        await using var gateway = new GatewayFactory(Settings(("Local:Models:0:DifferentFields:0:First", "convert.from"), ("Local:Models:0:DifferentFields:0:Second", "convert.to")));

        var (escalatedRoute, reason, _, _) = await SendAsync(gateway, Convert);

        Assert.Equal(("remote", "escalated_field_value"), (escalatedRoute, reason));
    }

    [Fact]
    public async Task UnsureLocalAnswer_IsEscalated_ByConfidence()
    {
        await using var gateway = new GatewayFactory(Settings(("Routing:MinConfidenceMean", "-1.0")));

        var (route, reason, _, _) = await SendAsync(gateway, ToolStep);

        Assert.Equal(("remote", "escalated_confidence"), (route, reason));
    }

    [Fact]
    public async Task RemoteThatFails_FallsBackToTheLocalModel()
    {
        _upstream.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, 500, OpenAiResponses.Error("down", "server_error"));
        await using var gateway = new GatewayFactory(Settings());

        var (route, reason, body, _) = await SendAsync(gateway, Essay);

        Assert.Equal(("local", "degraded_fallback"), (route, reason));
        Assert.Contains("\"object\":\"chat.completion\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EscalationWhoseRemoteFails_ServesTheLocalAnswerAsItIs()
    {
        _upstream.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, 503, OpenAiResponses.Error("down", "server_error"));
        await using var gateway = new GatewayFactory(Settings(("Routing:MinConfidenceMean", "-1.0")));

        var (route, reason, body, _) = await SendAsync(gateway, ToolStep);

        Assert.Equal(("local", "degraded_fallback"), (route, reason));
        Assert.Contains("\"object\":\"chat.completion\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoteThatFails_WithoutALocalModel_Is5xx_OpenAiShaped()
    {
        _upstream.Handler = (context, _, _) => OpenAiResponses.WriteJsonAsync(context.Response, 500, OpenAiResponses.Error("down", "server_error"));
        await using var gateway = new GatewayFactory(new GatewaySettings().Upstream("cloud", _upstream.BaseUrl, "gpt-4o-mini"));
        using var client = gateway.CreateHttpClient();

        using var response = await LocalChat.PostAsync(client, Essay.Replace("\"auto\"", "\"gpt-4o-mini\"", StringComparison.Ordinal));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadGateway);
    }

    [Fact]
    public async Task HeaderOverride_IsHonoured_WhenAllowed()
    {
        await using var gateway = new GatewayFactory(Settings());

        var (route, reason, _, _) = await SendAsync(gateway, ToolStep, header: "remote");

        Assert.Equal(("remote", "header_override"), (route, reason));
    }

    [Fact]
    public async Task HeaderOverride_IsRefused_ByTheKeysPolicy()
    {
        await using var gateway = new GatewayFactory(Settings(("Routing:Keys:team-a:AllowHeaderOverride", "false"))
            .ClientKey("team-a", Sha256("key-a")));
        using var client = gateway.CreateHttpClient();
        using var request = Post(ToolStep, "key-a", "remote");

        using var response = await client.SendAsync(request);

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("x-slmgw-route", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task KeyPolicy_SendsEveryRequestOfTheKeyWhereItSays()
    {
        await using var gateway = new GatewayFactory(Settings(("Routing:Keys:team-b:Route", "remote"))
            .ClientKey("team-b", Sha256("key-b")));
        using var client = gateway.CreateHttpClient();
        using var request = Post(ToolStep, "key-b", null);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("remote", "key_policy"), (Header(response, "x-slmgw-route"), Header(response, "x-slmgw-reason")));
    }

    [Fact]
    public async Task TaskPolicy_SendsTheTaskWhereItSays()
    {
        await using var gateway = new GatewayFactory(Settings(("Routing:Tasks:tool_call:Route", "remote")));

        var (route, reason, _, _) = await SendAsync(gateway, ToolStep);

        Assert.Equal(("remote", "task_policy"), (route, reason));
    }

    [Fact]
    public async Task TaskIsServedByTheLocalModelThatListsIt()
    {
        var settings = Settings().LocalModel("tiny-tools", TestModels.TinyRandom, ("Tasks:0", "tool_call"));
        await using var gateway = new GatewayFactory(settings);

        var (route, _, _, model) = await SendAsync(gateway, ToolStep);

        Assert.Equal(("local", "tiny-tools"), (route, model));
    }

    [Fact]
    public async Task AliasWithItsOwnThreshold_RoutesByIt()
    {
        await using var gateway = new GatewayFactory(Settings(("Routing:AutoAliases:cheap:Threshold", "0")));

        var (route, reason, _, _) = await SendAsync(gateway, Essay.Replace("\"auto\"", "\"cheap\"", StringComparison.Ordinal));

        Assert.Equal(("local", "semantic_local"), (route, reason));
    }

    [Fact]
    public async Task NamedLocalModel_IsExplicit()
    {
        await using var gateway = new GatewayFactory(Settings());

        var (route, reason, _, _) = await SendAsync(gateway, ToolStep.Replace("\"auto\"", "\"tiny-random\"", StringComparison.Ordinal));

        Assert.Equal(("local", "explicit_model"), (route, reason));
    }

    private GatewaySettings Settings(params (string Key, string Value)[] extra)
    {
        var settings = new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom)
            .Upstream("cloud", _upstream.BaseUrl, "gpt-4o-mini")
            .AutoRouting("tiny-random", "gpt-4o-mini");
        foreach (var (key, value) in extra)
        {
            settings.Set("SlmGateway:" + key, value);
        }

        return settings;
    }

    private static async Task<(string Route, string Reason, string Body, string Model)> SendAsync(
        GatewayFactory gateway, string json, string? header = null)
    {
        using var client = gateway.CreateHttpClient();
        using var request = Post(json, null, header);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return (Header(response, "x-slmgw-route"), Header(response, "x-slmgw-reason"), body, Header(response, "x-slmgw-model"));
    }

    private static HttpRequestMessage Post(string json, string? key, string? routeHeader)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (routeHeader is not null)
        {
            request.Headers.Add("x-slmgw-route", routeHeader);
        }

        return request;
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : "(none)";

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
