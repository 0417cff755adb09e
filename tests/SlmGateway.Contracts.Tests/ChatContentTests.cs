using System.Text.Json;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Contracts.Tests;

/// <summary>Message content read as a string when it is one, kept as its text otherwise (an array also read into parts), and written back as it came.</summary>
public sealed class ChatContentTests
{
    [Theory]
    [InlineData("\"plain \\u00e9 text\"", JsonValueKind.String, "plain é text")]
    [InlineData("""[{"type":"text","text":"a"},{"type":"text","text":"b"}]""", JsonValueKind.Array, "ab")]
    [InlineData("""[{"type":"image_url","image_url":{"url":"data:,"}}]""", JsonValueKind.Array, "")]
    [InlineData("""[{"image_url":{"type":"text","text":"no"},"type":"text","text":"a\u00e9"},{"type":"image_url","text":"b"}]""", JsonValueKind.Array, "aéb")]
    [InlineData("[]", JsonValueKind.Array, "")]
    [InlineData("42", JsonValueKind.Number, "")]
    public void Content_IsReadByKind_AndWrittenBackUnchanged(string content, JsonValueKind kind, string text)
    {
        var body = $$"""{"model":"m","messages":[{"role":"user","content":{{content}}}]}""";

        var request = JsonSerializer.Deserialize(body, WireJsonContext.Default.ChatCompletionRequest)!;
        var read = request.Messages![0].Content!.Value;

        Assert.Equal(kind, read.Kind);
        Assert.Equal(text, MessageContent.TextOf(read).Text);
        Assert.Equal(
            JsonSerializer.Serialize(JsonDocument.Parse(content).RootElement),
            JsonSerializer.Serialize(JsonDocument.Parse(JsonSerializer.Serialize(request, WireJsonContext.Default.ChatCompletionRequest)).RootElement.GetProperty("messages")[0].GetProperty("content")));
    }

    [Fact]
    public void ContentParts_AreReadWithTheirTypeAndText_WhenTheyAreStrings()
    {
        var request = JsonSerializer.Deserialize(
            """{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},"b",{"type":"image_url","image_url":{"url":"x"}},{"type":2,"text":["c"]}]}],"max_tokens":3}""",
            WireJsonContext.Default.ChatCompletionRequest)!;

        Assert.Equal(
            [new ContentPart(JsonValueKind.Object, "text", "a"), new ContentPart(JsonValueKind.String, null, null), new ContentPart(JsonValueKind.Object, "image_url", null), new ContentPart(JsonValueKind.Object, null, null)],
            request.Messages![0].Content!.Value.Parts);
        Assert.Equal(("a", false), MessageContent.TextOf(request.Messages[0].Content));
        Assert.Equal(3, request.MaxTokens);
    }

    [Fact]
    public void NullContent_IsNoContent()
    {
        var request = JsonSerializer.Deserialize("""{"model":"m","messages":[{"role":"assistant","content":null}]}""", WireJsonContext.Default.ChatCompletionRequest)!;

        Assert.Null(request.Messages![0].Content);
    }
}
