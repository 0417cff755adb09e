using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Contracts.Tests;

/// <summary>A tool's parameter schema, kept as its text without a document, read back as the same value.</summary>
public sealed class RawJsonValueTests
{
    private const string Schema = """
        { "type" : "object",
          "properties" : { "q\"uote" : { "type": "string", "enum": [ "a\\b", "\u00e9", 1.5e-3, -0, true, false, null ] },
                           "nested": [ [ ], { }, [ { "x": [1, 2] } ] ] },
          "required": [ "q\"uote" ] }
        """;

    private const string Compact =
        """{"type":"object","properties":{"q\"uote":{"type":"string","enum":["a\\b","\u00e9",1.5e-3,-0,true,false,null]},"nested":[[],{},[{"x":[1,2]}]]},"required":["q\"uote"]}""";

    [Fact]
    public void TheSchema_IsKeptAsItsTokens_WithTheirEscapes_AndReadsBackAsTheSameValue()
    {
        var request = JsonSerializer.Deserialize(Body(Schema), WireJsonContext.Default.ChatCompletionRequest)!;
        var parameters = request.Tools![0].Function!.Parameters!;

        Assert.Equal(JsonValueKind.Object, parameters.Kind);
        Assert.Equal(Compact, Encoding.UTF8.GetString(parameters.Utf8.Span));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Schema), JsonNode.Parse(parameters.Element.GetRawText())));
        Assert.Equal("é", parameters.Element.GetProperty("properties").GetProperty("q\"uote").GetProperty("enum")[1].GetString());
    }

    [Fact]
    public void WrittenBack_TheSchemaIsTheSameValue()
    {
        var request = JsonSerializer.Deserialize(Body(Schema), WireJsonContext.Default.ChatCompletionRequest)!;

        var written = JsonNode.Parse(JsonSerializer.Serialize(request, WireJsonContext.Default.ChatCompletionRequest))!;

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Schema), written["tools"]![0]!["function"]!["parameters"]));
        Assert.Equal("t", written["tools"]![0]!["function"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void ASchemaSplitAcrossBufferSegments_IsReadTheSame()
    {
        var bytes = Encoding.UTF8.GetBytes(Body(Schema));
        var reader = new Utf8JsonReader(InPiecesOf(bytes, 7));

        var request = JsonSerializer.Deserialize(ref reader, WireJsonContext.Default.ChatCompletionRequest)!;

        Assert.Equal(Compact, Encoding.UTF8.GetString(request.Tools![0].Function!.Parameters!.Utf8.Span));
    }

    [Theory]
    [InlineData("\"object\"")]
    [InlineData("[{\"type\":\"object\"}]")]
    [InlineData("3")]
    [InlineData("true")]
    public void ParametersThatAreNotAnObject_AreRefused(string parameters)
    {
        Assert.True(WireParser.TryParse(Encoding.UTF8.GetBytes(Body(parameters)), WireJsonContext.Default.ChatCompletionRequest, out var request, out _));

        var error = ChatCompletionRequestValidator.Validate(request!);

        Assert.Equal(400, error!.StatusCode);
        Assert.Equal("tools[0].function.parameters", error.Error.Param);
    }

    [Fact]
    public void NullOrAbsentParameters_AreAccepted()
    {
        foreach (var body in new[] { Body("null"), """{"model":"m","messages":[{"role":"user","content":"u"}],"tools":[{"type":"function","function":{"name":"t"}}]}""" })
        {
            Assert.True(WireParser.TryParse(Encoding.UTF8.GetBytes(body), WireJsonContext.Default.ChatCompletionRequest, out var request, out _));

            Assert.Null(ChatCompletionRequestValidator.Validate(request!));
            Assert.Null(request!.Tools![0].Function!.Parameters);
        }
    }

    private static string Body(string parameters) =>
        $$$"""{"model":"m","messages":[{"role":"user","content":"u"}],"tools":[{"type":"function","function":{"name":"t","parameters":{{{parameters}}}}}]}""";

    private static ReadOnlySequence<byte> InPiecesOf(byte[] bytes, int size)
    {
        var first = new Piece(bytes.AsMemory(0, Math.Min(size, bytes.Length)), 0);
        var last = first;
        for (var offset = size; offset < bytes.Length; offset += size)
        {
            last = last.Append(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Piece : ReadOnlySequenceSegment<byte>
    {
        public Piece(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Piece Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Piece(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
