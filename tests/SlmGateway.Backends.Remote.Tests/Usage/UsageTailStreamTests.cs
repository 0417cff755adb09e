using System.Text;
using SlmGateway.Backends.Remote.Usage;

namespace SlmGateway.Backends.Remote.Tests.Usage;

public sealed class UsageTailStreamTests
{
    [Fact]
    public async Task StreamedUsageChunk_SplitAcrossWrites_IsRead_AndEveryByteIsPassedOn()
    {
        using var sink = new MemoryStream();
        await using var tail = new UsageTailStream(sink);
        var body = string.Concat(Enumerable.Repeat("data: {\"choices\":[{\"delta\":{\"content\":\"word \"}}]}\n\n", 200))
            + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":41,\"completion_tokens\":17,\"total_tokens\":58}}\n\ndata: [DONE]\n\n";
        var bytes = Encoding.UTF8.GetBytes(body);

        for (var offset = 0; offset < bytes.Length; offset += 37)
        {
            await tail.WriteAsync(bytes.AsMemory(offset, Math.Min(37, bytes.Length - offset)));
        }

        Assert.Equal((41, 17), tail.ReadUsage());
        Assert.Equal(bytes, sink.ToArray());
    }

    [Fact]
    public void ResponsesApiUsage_IsRead()
    {
        using var sink = new MemoryStream();
        using var tail = new UsageTailStream(sink);

        tail.Write(Encoding.UTF8.GetBytes("{\"output\":[],\"usage\":{\"input_tokens\":9,\"output_tokens\":4}}"));

        Assert.Equal((9, 4), tail.ReadUsage());
    }

    [Fact]
    public void BodyWithoutUsage_HasNone()
    {
        using var sink = new MemoryStream();
        using var tail = new UsageTailStream(sink);

        tail.Write(Encoding.UTF8.GetBytes("{\"error\":{\"message\":\"bad\"}}"));

        Assert.Equal((null, null), tail.ReadUsage());
    }
}
