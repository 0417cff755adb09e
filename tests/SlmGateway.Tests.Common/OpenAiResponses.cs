using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SlmGateway.Tests.Common;

/// <summary>Provider-like answers for the fake upstream, and helpers to build broken ones.</summary>
public static class OpenAiResponses
{
    public const string DefaultContent = "Hello from upstream";

    /// <summary>Answers chat completions (streamed or not), embeddings and anything else with a small JSON echo.</summary>
    public static Task DefaultAsync(HttpContext context, RecordedRequest request, int number)
    {
        using var json = request.Body.Length > 0 ? JsonDocument.Parse(request.Body) : JsonDocument.Parse("{}");
        var root = json.RootElement;
        var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "unknown";
        var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var includeUsage = root.TryGetProperty("stream_options", out var so) && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;

        if (request.Path.EndsWith("/chat/completions", StringComparison.Ordinal))
        {
            return stream
                ? WriteSseAsync(context.Response, TextChunks(model, DefaultContent, includeUsage))
                : WriteJsonAsync(context.Response, 200, ChatCompletion(model, DefaultContent));
        }

        if (request.Path.EndsWith("/embeddings", StringComparison.Ordinal))
        {
            return WriteJsonAsync(context.Response, 200,
                $$$"""{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2,0.3]}],"model":"{{{model}}}","usage":{"prompt_tokens":2,"total_tokens":2}}""");
        }

        return WriteJsonAsync(context.Response, 200, $$$"""{"object":"echo","path":"{{{request.Path}}}","model":"{{{model}}}"}""");
    }

    public static string ChatCompletion(string model, string content) =>
        $$$"""{"id":"chatcmpl-fake","object":"chat.completion","created":1700000000,"model":"{{{model}}}","choices":[{"index":0,"message":{"role":"assistant","content":{{{JsonSerializer.Serialize(content)}}}},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}""";

    /// <summary>A non-streamed answer that calls one tool with the given arguments (a JSON object as text).</summary>
    public static string ToolCallCompletion(string model, string tool, string arguments) =>
        $$$"""{"id":"chatcmpl-fake","object":"chat.completion","created":1700000000,"model":"{{{model}}}","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_fake","type":"function","function":{"name":"{{{tool}}}","arguments":{{{JsonSerializer.Serialize(arguments)}}}}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}""";

    public static string Error(string message, string type, string? code = null) =>
        $$$"""{"error":{"message":{{{JsonSerializer.Serialize(message)}}},"type":"{{{type}}}","param":null,"code":{{{(code is null ? "null" : JsonSerializer.Serialize(code))}}}}}""";

    /// <summary>The data lines of a streamed text answer: role, one chunk per word, finish, optional usage.</summary>
    public static IReadOnlyList<string> TextChunks(string model, string content, bool includeUsage)
    {
        var chunks = new List<string> { Chunk(model, """{"role":"assistant","content":""}""", null) };
        foreach (var word in content.Split(' '))
        {
            chunks.Add(Chunk(model, $$$"""{"content":{{{JsonSerializer.Serialize(word + " ")}}}}""", null));
        }

        chunks.Add(Chunk(model, "{}", "stop"));
        if (includeUsage)
        {
            chunks.Add(UsageChunk(model));
        }

        return chunks;
    }

    public static string Chunk(string model, string delta, string? finishReason) =>
        $$$"""{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"{{{model}}}","choices":[{"index":0,"delta":{{{delta}}},"finish_reason":{{{FinishReason(finishReason)}}}}]}""";

    private static string FinishReason(string? finishReason) => finishReason is null ? "null" : $"\"{finishReason}\"";

    public static string UsageChunk(string model) =>
        $$$"""{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"{{{model}}}","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}""";

    public static async Task WriteJsonAsync(HttpResponse response, int status, string json, IDictionary<string, string>? headers = null)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            response.Headers[name] = value;
        }

        var bytes = Encoding.UTF8.GetBytes(json);
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes);
    }

    /// <summary>Starts an SSE response and writes each data line as one event, flushing after each.</summary>
    public static async Task WriteSseAsync(HttpResponse response, IEnumerable<string> dataLines, bool done = true, TimeSpan? delay = null)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        foreach (var line in dataLines)
        {
            await WriteEventAsync(response, line);
            if (delay is { } wait)
            {
                await Task.Delay(wait, response.HttpContext.RequestAborted);
            }
        }

        if (done)
        {
            await WriteEventAsync(response, "[DONE]");
        }
    }

    /// <summary>Streams the events, then drops the connection as a failing provider does (no [DONE], no clean end).</summary>
    public static async Task WriteThenCutAsync(HttpContext context, IEnumerable<string> dataLines)
    {
        await WriteSseAsync(context.Response, dataLines, done: false);

        // Long enough for the events to leave before the reset, which would otherwise discard them.
        await Task.Delay(200);
        context.Abort();
    }

    public static async Task WriteEventAsync(HttpResponse response, string data)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes($"data: {data}\n\n"), response.HttpContext.RequestAborted);
        await response.Body.FlushAsync(response.HttpContext.RequestAborted);
    }
}
