using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace SlmGateway.Benchmarks.Local;

/// <summary>Streams greedy chat completions from the gateway and times the tokens as they arrive.</summary>
internal sealed class GatewayStreamClient(Uri baseUrl, string model) : IDisposable
{
    private readonly HttpClient _client = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(10) };

    public async Task<StreamTiming> GenerateAsync(string messagesJson, int tokens)
    {
        var body = $$"""{"model":"{{model}}","messages":{{messagesJson}},"max_tokens":{{tokens}},"temperature":0,"stream":true,"stream_options":{"include_usage":true} }""";
        var start = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var (first, last, generated) = (0d, 0d, 0);
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal))
            {
                continue;
            }

            using var chunk = JsonDocument.Parse(line.AsMemory(6));
            if (chunk.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                generated = usage.GetProperty("completion_tokens").GetInt32();
                continue;
            }

            var delta = chunk.RootElement.GetProperty("choices")[0].GetProperty("delta");
            if (delta.TryGetProperty("content", out var content) && content.GetString() is { Length: > 0 })
            {
                last = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (first == 0)
                {
                    first = last;
                }
            }
        }

        return new StreamTiming(first, last, generated);
    }

    public async Task<AggregateRun> ParallelAsync(string messagesJson, int tokens, int streams)
    {
        var start = Stopwatch.GetTimestamp();
        var runs = await Task.WhenAll(Enumerable.Range(0, streams).Select(_ => GenerateAsync(messagesJson, tokens)));
        return new AggregateRun(runs.Sum(run => run.Tokens), Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    public void Dispose() => _client.Dispose();
}
