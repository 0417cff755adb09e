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
        await using var filter = new EventAlignedStream(sink, dropUsageChunk: true);

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
        await using var filter = new EventAlignedStream(sink, dropUsageChunk: true);

        await filter.WriteAsync(Encoding.UTF8.GetBytes(Text + "\n\ndata: {\"cho"));
        Assert.Equal(Text + "\n\n", Encoding.UTF8.GetString(sink.ToArray()));

        await filter.CompleteAsync();
        Assert.Equal(Text + "\n\ndata: {\"cho", Encoding.UTF8.GetString(sink.ToArray()));
    }

    [Fact]
    public async Task UsageChunk_IsKept_WhenTheClientAskedForIt()
    {
        using var sink = new MemoryStream();
        await using var events = new EventAlignedStream(sink, dropUsageChunk: false);

        await events.WriteAsync(Encoding.UTF8.GetBytes(UsageOnly + "\n\n"));

        Assert.Equal(UsageOnly + "\n\n", Encoding.UTF8.GetString(sink.ToArray()));
    }

    [Fact]
    public async Task AnIncompleteEvent_CanBeDiscarded_SoAnErrorEventFollowsCleanly()
    {
        using var sink = new MemoryStream();
        await using var events = new EventAlignedStream(sink, dropUsageChunk: false);

        await events.WriteAsync(Encoding.UTF8.GetBytes(Text + "\n\ndata: {\"choices\":[{\"ind"));
        events.DiscardIncompleteEvent();
        await events.WriteAsync(Encoding.UTF8.GetBytes("data: {\"error\":{}}\n\n"));
        await events.CompleteAsync();

        Assert.Equal(Text + "\n\ndata: {\"error\":{}}\n\n", Encoding.UTF8.GetString(sink.ToArray()));
    }

    [Fact]
    public async Task AnEventLongerThanAnyUsageChunk_PassesAsItComes_InLinearTime()
    {
        using var sink = new MemoryStream();
        await using var events = new EventAlignedStream(sink, dropUsageChunk: true);
        var piece = Encoding.UTF8.GetBytes(new string('x', 16 * 1024));

        await events.WriteAsync(Encoding.UTF8.GetBytes("data: "));
        for (var i = 0; i < 1280; i++)
        {
            await events.WriteAsync(piece);
        }

        Assert.True(sink.Length > 20_000_000, $"{sink.Length} bytes passed");
        await events.WriteAsync(Encoding.UTF8.GetBytes("\n\n" + Text + "\n\n"));
        Assert.EndsWith("x\n\n" + Text + "\n\n", Encoding.UTF8.GetString(sink.ToArray()), StringComparison.Ordinal);
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
