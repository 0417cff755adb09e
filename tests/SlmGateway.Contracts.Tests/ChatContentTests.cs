using System.Text.Json;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Contracts.Tests;

/// <summary>Message content read as a string when it is one, kept as JSON otherwise, and written back as it came.</summary>
public sealed class ChatContentTests
{
    [Theory]
    [InlineData("\"plain \\u00e9 text\"", JsonValueKind.String, "plain é text")]
    [InlineData("""[{"type":"text","text":"a"},{"type":"text","text":"b"}]""", JsonValueKind.Array, "ab")]
    [InlineData("""[{"type":"image_url","image_url":{"url":"data:,"}}]""", JsonValueKind.Array, "")]
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
    public void NullContent_IsNoContent()
    {
        var request = JsonSerializer.Deserialize("""{"model":"m","messages":[{"role":"assistant","content":null}]}""", WireJsonContext.Default.ChatCompletionRequest)!;

        Assert.Null(request.Messages![0].Content);
    }
}
