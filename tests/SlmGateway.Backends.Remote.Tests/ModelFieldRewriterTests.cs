using System.Text;
using SlmGateway.Backends.Remote.Forwarding;

namespace SlmGateway.Backends.Remote.Tests;

public sealed class ModelFieldRewriterTests
{
    [Theory]
    [InlineData("""{"model":"a","x":1}""", """{"model":"upstream/b","x":1}""")]
    [InlineData("""{ "messages": [{"model": "a"}], "model" : "a" }""", """{ "messages": [{"model": "a"}], "model" : "upstream/b" }""")]
    [InlineData("""{"meta":{"model":"a"},"model":"a\u0041"}""", """{"meta":{"model":"a"},"model":"upstream/b"}""")]
    [InlineData("""{"x":"model","model":"a"}""", """{"x":"model","model":"upstream/b"}""")]
    public void Rewrite_ReplacesOnlyTheTopLevelModel(string body, string expected)
    {
        var rewritten = ModelFieldRewriter.Rewrite(Encoding.UTF8.GetBytes(body), "upstream/b");

        Assert.Equal(expected, Encoding.UTF8.GetString(rewritten.Span));
    }

    [Fact]
    public void Rewrite_EscapesTheNewName()
    {
        var rewritten = ModelFieldRewriter.Rewrite("""{"model":"a"}"""u8.ToArray(), "we\"ird");

        Assert.Equal("""{"model":"we\u0022ird"}""", Encoding.UTF8.GetString(rewritten.Span));
    }

    [Fact]
    public void Rewrite_WithoutModel_LeavesTheBodyAlone()
    {
        var body = """{"input":"x"}"""u8.ToArray();

        Assert.Equal(body, ModelFieldRewriter.Rewrite(body, "b").ToArray());
    }
}
