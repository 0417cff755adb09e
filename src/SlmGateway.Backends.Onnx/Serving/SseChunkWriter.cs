using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>Writes one streamed completion as server-sent events: every chunk with the same id, model and creation time.</summary>
internal sealed class SseChunkWriter(HttpResponse response, string id, long created, string model)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public static void Start(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
    }

    public Task WriteAsync(ChunkDelta delta, string? finishReason = null, ChoiceLogprobs? logprobs = null) =>
        WriteChunkAsync(new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [new ChunkChoice(0, delta, logprobs, finishReason)], null, null));

    public Task WriteUsageAsync(Usage usage) =>
        WriteChunkAsync(new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [], usage, null));

    public async Task WriteDoneAsync()
    {
        await response.Body.WriteAsync(Done);
        await response.Body.FlushAsync();
    }

    private async Task WriteChunkAsync(ChatCompletionChunk chunk)
    {
        await response.Body.WriteAsync(DataPrefix);
        await JsonSerializer.SerializeAsync(response.Body, chunk, WireJsonContext.Default.ChatCompletionChunk);
        await response.Body.WriteAsync(EventEnd);
        await response.Body.FlushAsync();
    }
}
