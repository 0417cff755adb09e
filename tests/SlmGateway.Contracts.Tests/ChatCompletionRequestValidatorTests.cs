using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Contracts.Tests;

/// <summary>Requests that real clients send must be accepted as they are.</summary>
public sealed class ChatCompletionRequestValidatorTests
{
    public static TheoryData<string, string> ClientRequests => new()
    {
        { ".NET SDK with tool history", """{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"42"}],"max_completion_tokens":100,"stream":true,"stream_options":{"include_usage":true}}""" },
        { "Vercel json_schema with draft-07", """{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi"}]}],"max_tokens":50,"response_format":{"type":"json_schema","json_schema":{"name":"response","strict":true,"schema":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"a":{"type":"string"}}}}}}""" },
        { "LangChain stream false with title", """{"model":"m","stream":false,"messages":[{"role":"developer","content":"d"},{"role":"user","content":"u"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"X","type":"object"}}}}""" },
        { "named tool choice", """{"model":"m","messages":[{"role":"user","content":"u"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false}""" },
        { "every sampling parameter", """{"model":"m","messages":[{"role":"user","content":"u"}],"temperature":0,"top_p":1,"n":2,"seed":-7,"stop":["\n\n","END"],"logprobs":true,"top_logprobs":5,"presence_penalty":-2,"frequency_penalty":2,"user":"u1","metadata":{"k":"v"}}""" },
        { "image part and unknown fields", """{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}],"reasoning_effort":"low","store":false}""" },
        { "stop as string and null content parts", """{"model":"m","messages":[{"role":"user","content":"u"},{"role":"assistant","content":null,"tool_calls":[{"id":"x","type":"function","function":{"name":"f","arguments":""}}]}],"stop":"###"}""" },
    };

    [Theory]
    [MemberData(nameof(ClientRequests))]
    public void Validate_RequestsRealClientsSend_AreAccepted(string client, string body)
    {
        Assert.True(WireParser.TryParse(System.Text.Encoding.UTF8.GetBytes(body), WireJsonContext.Default.ChatCompletionRequest, out var request, out var parseError), $"{client}: {parseError?.Error.Message}");

        var error = ChatCompletionRequestValidator.Validate(request!);

        Assert.True(error is null, $"{client}: {error?.Error.Message}");
    }

    [Fact]
    public void Parse_TypeMismatch_NamesTheField()
    {
        var ok = WireParser.TryParse("""{"model":"m","messages":[{"role":"user","content":"u"}],"seed":"x"}"""u8, WireJsonContext.Default.ChatCompletionRequest, out _, out var error);

        Assert.False(ok);
        Assert.Equal("seed", error!.Error.Param);
        Assert.Equal(400, error.StatusCode);
    }
}
