using System.Text;
using System.Text.Json;
using SlmGateway.Backends.Remote.Usage;

namespace SlmGateway.Backends.Remote.Tests.Usage;

public sealed class StreamUsageTests
{
    private const string Text = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}";
    private const string UsageOnly = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}";

    [Theory]
    [InlineData("\n\n")]
    [InlineData("\r\n\r\n")]
    public async Task UsageOnlyChunk_IsDropped_EverythingElsePasses_WhateverTheWriteBoundaries(string end)
    {
        var stream = Text + end + Text + end + UsageOnly + end + "data: [DONE]" + end;
        var bytes = Encoding.UTF8.GetBytes(stream);
        using var sink = new MemoryStream();
        await using var filter = new UsageChunkFilterStream(sink);

        for (var offset = 0; offset < bytes.Length; offset += 7)
        {
            await filter.WriteAsync(bytes.AsMemory(offset, Math.Min(7, bytes.Length - offset)));
        }

        await filter.CompleteAsync();
        Assert.Equal(Text + end + Text + end + "data: [DONE]" + end, Encoding.UTF8.GetString(sink.ToArray()));
    }

    [Fact]
    public async Task CompleteEvents_AreWrittenAtOnce_AndAnUnfinishedOneAtTheEnd()
    {
        using var sink = new MemoryStream();
        await using var filter = new UsageChunkFilterStream(sink);

        await filter.WriteAsync(Encoding.UTF8.GetBytes(Text + "\n\ndata: {\"cho"));
        Assert.Equal(Text + "\n\n", Encoding.UTF8.GetString(sink.ToArray()));

        await filter.CompleteAsync();
        Assert.Equal(Text + "\n\ndata: {\"cho", Encoding.UTF8.GetString(sink.ToArray()));
    }

    [Fact]
    public void Ask_AddsStreamOptions_AndKeepsTheRestByteForByte()
    {
        const string body = "{\"model\":\"m\", \"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"{x}\"}]}  \n";

        var asked = Encoding.UTF8.GetString(StreamUsage.Ask(Encoding.UTF8.GetBytes(body)).Span);

        Assert.Equal("{\"model\":\"m\", \"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"{x}\"}],\"stream_options\":{\"include_usage\":true}}  \n", asked);
        Assert.True(JsonDocument.Parse(asked).RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }
}
