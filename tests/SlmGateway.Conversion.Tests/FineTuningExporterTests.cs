using System.Text.Json;
using SlmGateway.Conversion.Export;

namespace SlmGateway.Conversion.Tests;

public sealed class FineTuningExporterTests
{
    private const string Request = """
        {"model":"gpt-4o-mini","parallel_tool_calls":false,
         "messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Weather in "},{"type":"text","text":"Paris?"}]}],
         "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}
        """;

    private const string Answer = """{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}""";

    [Fact]
    public void RemoteAnswer_BecomesOneChatFineTuningExample_WithItsTools()
    {
        var (training, validation) = FineTuningExporter.Export([(Request, Answer, "remote", 200, "00000001")], 0);

        Assert.Empty(validation);
        using var example = JsonDocument.Parse(Assert.Single(training));
        var messages = example.RootElement.GetProperty("messages");
        Assert.Equal(("system", "Be brief."), (messages[0].GetProperty("role").GetString(), messages[0].GetProperty("content").GetString()));
        Assert.Equal("Weather in Paris?", messages[1].GetProperty("content").GetString());
        var call = messages[2].GetProperty("tool_calls")[0].GetProperty("function");
        Assert.Equal(("get_weather", """{"city":"Paris"}"""), (call.GetProperty("name").GetString(), call.GetProperty("arguments").GetString()));
        Assert.Equal("get_weather", example.RootElement.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        Assert.False(example.RootElement.GetProperty("parallel_tool_calls").GetBoolean());
    }

    [Fact]
    public void LocalAnswersFailuresAndRepeats_AreLeftOut()
    {
        var (training, _) = FineTuningExporter.Export(
            [
                (Request, Answer, "local", 200, "00000001"),
                (Request, Answer, "remote", 502, "00000002"),
                (Request, null, "remote", 200, "00000003"),
                (Request, Answer, "remote", 200, "00000004"),
                (Request, Answer, "remote", 200, "00000004"),
            ],
            0);

        Assert.Single(training);
    }

    [Fact]
    public void Split_FollowsTheTaskHash_AndIsStable()
    {
        var calls = Enumerable.Range(0, 1000).Select(i => ((string?)Request, (string?)Answer, (string?)"remote", 200, (string?)$"{i * 4294967:x8}")).ToList();

        var (training, validation) = FineTuningExporter.Export(calls, 0.2);
        var again = FineTuningExporter.Export(calls.AsEnumerable().Reverse(), 0.2);

        Assert.Equal(1000, training.Count + validation.Count);
        Assert.InRange(validation.Count, 150, 250);
        Assert.Equal(validation.Count, again.Validation.Count);
    }
}
