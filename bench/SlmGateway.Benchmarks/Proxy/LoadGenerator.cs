using SlmGateway.Benchmarks.Measurement;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace SlmGateway.Benchmarks.Proxy;

/// <summary>A closed-loop HTTP load: N connections, each sending the next request as soon as the last one finished.</summary>
internal sealed class LoadGenerator : IDisposable
{
    // About 1 KB, as an agent's step looks: a system prompt, a question and two tools.
    private const string Tools = """
        "tools":[{"type":"function","function":{"name":"get_weather","description":"Get the weather forecast for a city on a given day.","parameters":{"type":"object","properties":{"city":{"type":"string","description":"City name, e.g. Lisbon"},"day":{"type":"string","description":"ISO date or 'today'/'tomorrow'"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","day"]}}},{"type":"function","function":{"name":"search_flights","description":"Search direct flights between two airports on a date.","parameters":{"type":"object","properties":{"from":{"type":"string","description":"IATA code of the departure airport"},"to":{"type":"string","description":"IATA code of the arrival airport"},"date":{"type":"string","description":"ISO date"}},"required":["from","to","date"]}}}]
        """;

    private const string Messages = """
        "messages":[{"role":"system","content":"You are a travel assistant. Use the tools for weather or flights; answer briefly otherwise."},{"role":"user","content":"What is the weather like in Lisbon tomorrow, and is there a morning flight from Porto?"}]
        """;

    private static readonly byte[] ChatBody = Encoding.UTF8.GetBytes($$"""{"model":"bench-model",{{Messages}},{{Tools}},"max_completion_tokens":64}""");
    private static readonly byte[] StreamBody = Encoding.UTF8.GetBytes($$"""{"model":"bench-model","stream":true,{{Messages}},{{Tools}},"max_completion_tokens":64}""");
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpMessageInvoker _client;
    private readonly Uri _chatUrl;

    public LoadGenerator(Uri baseUrl, int connections)
    {
        _chatUrl = new Uri(baseUrl, "v1/chat/completions");
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        });
    }

    /// <summary>
    /// Runs <paramref name="connections"/> loops for <paramref name="duration"/>, of plain or streamed
    /// requests (each read to its end); every latency and each second's count are kept.
    /// </summary>
    public async Task<LoadResult> RunAsync(int connections, TimeSpan duration, bool stream = false)
    {
        var perSecond = new int[(int)Math.Ceiling(duration.TotalSeconds) + 1];
        var latencies = new List<double>[connections];
        var errors = 0;
        var clock = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, connections).Select(async worker =>
        {
            var mine = latencies[worker] = new List<double>(64 * 1024);
            var buffer = new byte[16 * 1024];
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Post, _chatUrl) { Content = new ByteArrayContent(stream ? StreamBody : ChatBody) };
                request.Content.Headers.ContentType = Json;
                using var response = await _client.SendAsync(request, CancellationToken.None);
                await using (var body = await response.Content.ReadAsStreamAsync())
                {
                    while (await body.ReadAsync(buffer) > 0)
                    {
                    }
                }

                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref errors);
                }

                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                var second = (int)clock.Elapsed.TotalSeconds;
                if (second < perSecond.Length)
                {
                    Interlocked.Increment(ref perSecond[second]);
                }
            }
        });
        await Task.WhenAll(loops);
        var elapsed = clock.Elapsed;
        var all = latencies.SelectMany(l => l).ToArray();
        return new LoadResult(all.Length / elapsed.TotalSeconds, Stats.Percentiles(all), perSecond[..^1], errors);
    }

    /// <summary>
    /// Sequential requests, one at a time, so the figure is the path's own latency rather than
    /// queueing: streamed ones timed to the first body byte, plain ones to the last.
    /// </summary>
    public async Task<Percentiles> SequentialAsync(int requests, bool stream)
    {
        var samples = new double[requests];
        var buffer = new byte[16 * 1024];
        for (var i = 0; i < requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _chatUrl) { Content = new ByteArrayContent(stream ? StreamBody : ChatBody) };
            request.Content.Headers.ContentType = Json;
            var started = Stopwatch.GetTimestamp();
            using var response = await _client.SendAsync(request, CancellationToken.None);
            await using var body = await response.Content.ReadAsStreamAsync();
            _ = await body.ReadAsync(buffer);
            if (stream)
            {
                samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            while (await body.ReadAsync(buffer) > 0)
            {
            }

            if (!stream)
            {
                samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }

        return Stats.Percentiles(samples);
    }

    public void Dispose() => _client.Dispose();
}

internal sealed record LoadResult(double RequestsPerSecond, Percentiles Latency, int[] PerSecond, int Errors);
