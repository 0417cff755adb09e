using System.Text;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Contracts.Tests;

public sealed class JsonTextCheckTests
{
    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a\ud800b"}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"},{"type":"text","text":"\udc00"}]}]}""", "messages[0].content[1].text")]
    [InlineData("""{"model":"m","stop":["ok","\ud83d"]}""", "stop[1]")]
    [InlineData("""{"model":"m","tool_choice":{"type":"function","function":{"name":"\ud800"}}}""", "tool_choice.function.name")]
    [InlineData("""{"model":"m","metadata":{"\ud800":"x"}}""", "metadata")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"upper \uDBFF case"}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a \\u d \\ud800 \uDC00"}]}""", "messages[0].content")]
    public void LoneSurrogateEscapes_AreRefused_NamingTheField(string body, string param)
    {
        var error = JsonTextCheck.Check(Encoding.UTF8.GetBytes(body));

        Assert.NotNull(error);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(param, error.Error.Param);
        Assert.Equal("invalid_string", error.Error.Code);
    }

    [Fact]
    public void InvalidUtf8_IsRefused_NamingTheField()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"abc"}]}""");
        body[Array.IndexOf(body, (byte)'b')] = 0xC3;

        var error = JsonTextCheck.Check(body);

        Assert.Equal("messages[0].content", error?.Error.Param);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"emoji \ud83d\ude00 and \u00e9 and \"quotes\" \n"}]}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"日本語のテキスト 😀"}]}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a path C:\\ud800\\dir and \\u00e9, both escaped backslashes"}]}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"\uD83D\uDE00 upper-case pair"}]}""")]
    [InlineData("""{"model":"m","messages":[""")]
    [InlineData("")]
    public void ValidTextOrBrokenJson_IsNotItsToReport(string body) =>
        Assert.Null(JsonTextCheck.Check(Encoding.UTF8.GetBytes(body)));
}
