using System.Text;
using Microsoft.AspNetCore.Http;
using SlmGateway.Host.Limits;

namespace SlmGateway.FunctionalTests.Limits;

/// <summary>Which bytes of an answer wait until its usage is counted: only those that may end it.</summary>
public sealed class AnswerEndHoldStreamTests
{
    [Theory]
    [InlineData("data: [DONE]\n\n")]
    [InlineData("data:[DONE]\r\n\r\n")]
    [InlineData("event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{}}\n\n")]
    [InlineData("event: response.incomplete\ndata: {\"type\":\"response.incomplete\",\"response\":{}}\n\n")]
    [InlineData("event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{}}\n\n")]
    public async Task InAnEventStream_EveryEventGoesAtOnce_ButTheFinalOneWaits(string final)
    {
        var (sent, stream) = Over("text/event-stream; charset=utf-8");
        const string events = "data: {\"choices\":[{\"delta\":{\"content\":\"data: [DONE]\"}}]}\n\nevent: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"event: response.completed\"}\n\n";

        await stream.WriteAsync(Encoding.UTF8.GetBytes(events));
        Assert.Equal(events, Text(sent));
        await stream.WriteAsync(Encoding.UTF8.GetBytes(final));
        Assert.Equal(events, Text(sent));

        await stream.ReleaseAsync();
        Assert.Equal(events + final, Text(sent));
    }

    [Fact]
    public async Task AJsonAnswer_GoesOutAWriteBehind_AndItsLastWriteWaits()
    {
        var (sent, stream) = Over("application/json");

        await stream.WriteAsync("{\"id\":"u8.ToArray());
        Assert.Equal("", Text(sent));
        await stream.WriteAsync("\"x\"}"u8.ToArray());
        Assert.Equal("{\"id\":", Text(sent));

        await stream.ReleaseAsync();
        await stream.ReleaseAsync();
        Assert.Equal("{\"id\":\"x\"}", Text(sent));
    }

    private static (MemoryStream Sent, AnswerEndHoldStream Stream) Over(string contentType)
    {
        var sent = new MemoryStream();
        var response = new DefaultHttpContext().Response;
        response.ContentType = contentType;
        return (sent, new AnswerEndHoldStream(sent, response));
    }

    private static string Text(MemoryStream sent) => Encoding.UTF8.GetString(sent.ToArray());
}
