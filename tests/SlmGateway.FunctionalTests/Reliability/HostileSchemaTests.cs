using System.Net;
using System.Text;
using System.Text.Json;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.FunctionalTests.Local;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Reliability;

/// <summary>
/// Schemas that once killed the gateway (a count the guided decoder unrolled until the kernel killed
/// the process; a look-ahead pattern whose shadow run stopped the host) or answered 500 (duplicate
/// keys): the local model refuses them with a 400 naming the schema, <c>auto</c> sends them remote,
/// and a remote request's shadow run skips them, counted, with the gateway serving on.
/// </summary>
public sealed class HostileSchemaTests : IAsyncLifetime
{
    private const string Weather = """{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"cities":{"type":"array","items":{"type":"string"},"minItems":1000000000}},"required":["cities"]}}}""";

    public static TheoryData<string, string, string> LocalBodies => new()
    {
        { "minItems of a billion", ResponseSchema("""{"type":"array","items":{"type":"integer"},"minItems":1000000000}"""), "response_format" },
        { "minProperties of a million", ResponseSchema("""{"type":"object","minProperties":1000000}"""), "response_format" },
        { "look-ahead pattern", ResponseSchema("""{"type":"object","properties":{"a":{"type":"string","pattern":"^(?=a)a+$"}},"required":["a"]}"""), "response_format" },
        { "duplicate keys", ResponseSchema("""{"type":"object","properties":{"a":{"type":"string"}},"properties":{"b":{"type":"integer"}}}"""), "response_format" },
        { "tool parameters with minItems of a billion", $$""","tools":[{{Weather}}],"tool_choice":"required" """, "tools" },
    };

    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Theory]
    [MemberData(nameof(LocalBodies))]
    public async Task LocalModel_RefusesTheSchema_WithA400_AndServesOn(string scenario, string extra, string param)
    {
        await using var gateway = new GatewayFactory(new GatewaySettings().LocalModel("tiny-random", TestModels.TinyRandom));
        using var client = gateway.CreateHttpClient();

        using var refused = await LocalChat.PostAsync(client, LocalChat.Request(extra));

        var error = await OpenAiErrorAssert.IsErrorAsync(refused, HttpStatusCode.BadRequest);
        Assert.True(error.GetProperty("param").GetString() == param, $"{scenario}: {error}");
        Assert.Equal("unsupported_schema", error.GetProperty("code").GetString());
        var (content, _, _) = await LocalChat.CompleteAsync(client, LocalChat.Request(""","max_tokens":5"""));
        Assert.False(string.IsNullOrEmpty(content));
    }

    [Fact]
    public async Task Auto_SendsWhatTheLocalModelCannotTake_ToTheRemoteModel()
    {
        await using var gateway = new GatewayFactory(new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom, ("Tasks:0", "json"))
            .Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini")
            .AutoRouting("tiny-random", "gpt-4o-mini")
            .Set("SlmGateway:Routing:Threshold", "0"));
        using var client = gateway.CreateHttpClient();

        using var response = await LocalChat.PostAsync(client, LocalChat.Request(ResponseSchema("""{"type":"array","minItems":1000000000}""")).Replace("tiny-random", "auto", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("remote", response.Headers.GetValues("x-slmgw-route").Single());
        Assert.Equal(1, _upstream.RequestCount);
    }

    [Fact]
    public async Task NumbersUnderGuidance_AreFiniteAndWithinSafeIntegers()
    {
        await using var gateway = new GatewayFactory(new GatewaySettings().LocalModel("tiny-random", TestModels.TinyRandom));
        using var client = gateway.CreateHttpClient();
        var schema = ResponseSchema("""{"type":"object","properties":{"x":{"type":"number"},"n":{"type":"integer"}},"required":["x","n"]}""");

        for (var seed = 1; seed <= 20; seed++)
        {
            var (content, finish, _) = await LocalChat.CompleteAsync(client, LocalChat.Request(schema + $""","seed":{seed},"temperature":1.5,"max_tokens":60"""));
            if (finish != "stop")
            {
                continue;
            }

            using var answer = JsonDocument.Parse(content!);
            foreach (var field in (string[])["x", "n"])
            {
                var value = double.Parse(answer.RootElement.GetProperty(field).GetRawText(), System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(double.IsFinite(value) && Math.Abs(value) <= 9007199254740991, $"seed {seed}: {field} = {answer.RootElement.GetProperty(field).GetRawText()}");
            }
        }
    }

    [Fact]
    public async Task RemoteRequests_WithSchemasTheLocalModelCannotTake_AreShadowSkipped_AndTheGatewayLives()
    {
        var store = new LoopStore("sqlite", $"Data Source={Path.Combine(Path.GetTempPath(), $"slmgw-traces-{Guid.NewGuid():N}.db")}");
        await using var gateway = new GatewayFactory(new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom, ("Tasks:0", "json"), ("Tasks:1", "tool_call"))
            .Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini")
            .Capture(store)
            .Set("SlmGateway:Loop:Shadow:SampleRate", "1")
            .Set("SlmGateway:Loop:Shadow:CpuBudget", "1"));
        using var client = gateway.CreateHttpClient();
        using var admin = new AdminClient(gateway);
        string[] schemas =
        [
            """{"type":"object","properties":{"a":{"type":"string","pattern":"^(?=a)a+$"}},"required":["a"]}""",
            """{"type":"array","items":{"type":"integer"},"minItems":1000000000}""",
            """{"type":"object","properties":{"a":{"type":"string","format":"no-such-format"}},"required":["a"]}""",
            """{"type":"object","properties":{"a":{"type":"string"}},"properties":{"b":{"type":"integer"}}}""",
        ];

        for (var i = 0; i < schemas.Length; i++)
        {
            var body = LocalChat.Request(ResponseSchema(schemas[i]), $"Task {i}: give me the record.").Replace("tiny-random", "gpt-4o-mini", StringComparison.Ordinal);
            using var response = await LocalChat.PostAsync(client, body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var shadow = await WaitForShadowAsync(admin, schemas.Length);
        Assert.Equal(schemas.Length, shadow.GetProperty("skipped").GetInt64());
        Assert.Equal(0, shadow.GetProperty("evaluated").GetInt64());
        var (content, _, _) = await LocalChat.CompleteAsync(client, LocalChat.Request(""","max_tokens":5"""));
        Assert.False(string.IsNullOrEmpty(content));
        using var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static string ResponseSchema(string schema) =>
        $$$""","response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{{{schema}}}}}""";

    private static async Task<JsonElement> WaitForShadowAsync(AdminClient admin, int runs)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var shadow = (await admin.GetAsync("/admin/loop")).GetProperty("shadow");
            if (shadow.GetProperty("evaluated").GetInt64() + shadow.GetProperty("skipped").GetInt64() >= runs)
            {
                return shadow;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the shadow runs did not end within 30 s");
    }
}
