using SlmGateway.Core.Execution;

namespace SlmGateway.Backends.Remote.Usage;

/// <summary>
/// Streamed chat completions carry token usage only when asked: for a client that did not ask, the
/// gateway asks (<c>stream_options.include_usage</c>) so usage can be counted, and removes the usage
/// chunk before the client sees it.
/// </summary>
internal static class StreamUsage
{
    private static readonly byte[] AskForUsage = ",\"stream_options\":{\"include_usage\":true}"u8.ToArray();

    /// <summary>True for streamed chat completions without <c>stream_options</c> (a client that set them keeps them as sent).</summary>
    public static bool ShouldAsk(GatewayRequest request) =>
        request is { Endpoint: ApiEndpoint.ChatCompletions, Stream: true, Chat.StreamOptions: null };

    /// <summary>The body with <c>stream_options</c> added as the root object's last member; the rest stays byte for byte.</summary>
    public static ReadOnlyMemory<byte> Ask(ReadOnlyMemory<byte> body)
    {
        var end = body.Span.LastIndexOf((byte)'}');
        var asked = new byte[body.Length + AskForUsage.Length];
        body.Span[..end].CopyTo(asked);
        AskForUsage.CopyTo(asked.AsSpan(end));
        body.Span[end..].CopyTo(asked.AsSpan(end + AskForUsage.Length));
        return asked;
    }
}
