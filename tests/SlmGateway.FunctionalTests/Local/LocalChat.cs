using System.Text;
using System.Text.Json;
using SlmGateway.FunctionalTests.Infrastructure;

namespace SlmGateway.FunctionalTests.Local;

/// <summary>Raw-HTTP helpers for chat completions against a local model.</summary>
internal static class LocalChat
{
    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string json, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return client.SendAsync(request, completion);
    }

    /// <summary>A non-streamed completion's content and finish reason.</summary>
    public static async Task<(string? Content, string FinishReason, JsonElement Body)> CompleteAsync(HttpClient client, string json)
    {
        using var response = await PostAsync(client, json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var body = JsonDocument.Parse(text).RootElement;
        var choice = body.GetProperty("choices")[0];
        return (choice.GetProperty("message").GetProperty("content").GetString(), choice.GetProperty("finish_reason").GetString()!, body);
    }

    /// <summary>A streamed completion's concatenated content, its finish reasons, and its chunks.</summary>
    public static async Task<(string Content, List<string> FinishReasons, List<JsonElement> Chunks)> StreamAsync(HttpClient client, string json)
    {
        using var response = await PostAsync(client, json, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new SseReader(await response.Content.ReadAsStreamAsync());
        var events = await reader.ReadAllAsync();
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events.SkipLast(1).Select(data => JsonDocument.Parse(data).RootElement).ToList();
        var content = new StringBuilder();
        var finishReasons = new List<string>();
        foreach (var choice in chunks.SelectMany(chunk => chunk.GetProperty("choices").EnumerateArray()))
        {
            if (choice.GetProperty("delta").TryGetProperty("content", out var piece) && piece.ValueKind == JsonValueKind.String)
            {
                content.Append(piece.GetString());
            }

            if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String)
            {
                finishReasons.Add(choice.GetProperty("finish_reason").GetString()!);
            }
        }

        return (content.ToString(), finishReasons, chunks);
    }

    /// <summary>The model's entry in <c>/readyz</c>, read whether the gateway is ready (200) or not (503).</summary>
    public static async Task<JsonElement> LocalStateAsync(HttpClient client, string model)
    {
        using var response = await client.GetAsync("/readyz");
        var ready = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return ready.GetProperty("local").GetProperty(model);
    }

    /// <summary>Waits until the model has loaded; models load in the background after start-up.</summary>
    public static async Task<JsonElement> WaitUntilReadyAsync(HttpClient client, string model)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var state = await LocalStateAsync(client, model);
            if (state.GetProperty("state").GetString() != "loading")
            {
                return state;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{model} did not load within 10 s");
    }

    public static string Request(string extra = "", string content = "Who are you?") =>
        $$"""{"model":"tiny-random","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":{{JsonSerializer.Serialize(content)}}}]{{extra}}}""";
}
