using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using SlmGateway.Benchmarks.Measurement;

namespace SlmGateway.Benchmarks.Reliability;

/// <summary>
/// The gateway as shipped under a steady mixed load for minutes: remote calls (plain and streamed),
/// local ones, <c>auto</c> (tool steps, JSON, chat) and bad requests, each with its own wording so
/// that capture embeds new tasks, sent open-loop at a fixed rate. Reported every 30 s: requests,
/// statuses, 5xx, latency, RSS; at the end, what capture kept.
/// </summary>
internal static class SoakBenchmark
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static async Task<int> RunAsync(string[] args)
    {
        var minutes = Argument(args, "--minutes", 10.0);
        var rate = Argument(args, "--rate", 185.0);
        await using var gateway = await ShippedGateway.StartAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"soak: the shipped gateway, {rate:F0} requests/s open-loop for {minutes:F1} min (remote 40%, remote streamed 15%, local 15%, auto 20%, bad 10%)"));
        var statuses = new ConcurrentDictionary<int, int>();
        var latencies = new ConcurrentBag<double>();
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        var total = (long)(minutes * 60 * rate);
        var nextReport = 30.0;
        var rss = new List<double>();
        for (long i = 0; i < total; i++)
        {
            var due = i / rate;
            if (due > clock.Elapsed.TotalSeconds)
            {
                await Task.Delay(TimeSpan.FromSeconds(due - clock.Elapsed.TotalSeconds));
            }

            inFlight.Add(SendAsync(gateway.Client, i, statuses, latencies));
            if (clock.Elapsed.TotalSeconds >= nextReport)
            {
                inFlight.RemoveAll(task => task.IsCompleted);
                rss.Add(gateway.Process.RssMiB());
                var snapshot = latencies.ToArray();
                latencies.Clear();
                var p = Stats.Percentiles(snapshot);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {nextReport,5:F0} s: {i,7} sent, in flight {inFlight.Count,4}, p50 {p.P50:F1} ms, p99 {p.P99:F1} ms, RSS {rss[^1]:F0} MiB, statuses {Statuses(statuses)}"));
                nextReport += 30;
            }
        }

        await Task.WhenAll(inFlight);
        var capture = await SettledAsync(gateway);
        var fiveHundreds = statuses.Where(pair => pair.Key >= 500).Sum(pair => pair.Value);
        Console.WriteLine($"sent {total} in {clock.Elapsed.TotalSeconds:F0} s; statuses {Statuses(statuses)}; 5xx: {fiveHundreds}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RSS: first sample {rss.FirstOrDefault():F0} MiB, last {rss.LastOrDefault():F0} MiB, max {(rss.Count > 0 ? rss.Max() : 0):F0} MiB"));
        Console.WriteLine($"capture: {capture}");
        return fiveHundreds == 0 ? 0 : 1;
    }

    private static async Task SendAsync(HttpClient client, long i, ConcurrentDictionary<int, int> statuses, ConcurrentBag<double> latencies)
    {
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Body(i))) };
        request.Content.Headers.ContentType = Json;
        int status;
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await response.Content.CopyToAsync(Stream.Null);
            status = (int)response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            status = 599;
        }

        statuses.AddOrUpdate(status, 1, (_, count) => count + 1);
        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>One request of the mix; its wording varies with <paramref name="i"/> so that tasks are distinct.</summary>
    private static string Body(long i)
    {
        var remote = ShippedGateway.RemoteModel;
        return (i % 20) switch
        {
            < 8 => $$$$$$"""{"model":"{{{{{{remote}}}}}}","messages":[{"role":"system","content":"You answer support tickets for shop {{{{{{i % 97}}}}}}."},{"role":"user","content":"Where is order {{{{{{i}}}}}}? It was placed {{{{{{i % 28}}}}}} days ago."}]}""",
            < 11 => $$$$$$"""{"model":"{{{{{{remote}}}}}}","stream":true,"messages":[{"role":"user","content":"Summarise ticket {{{{{{i}}}}}} about a late parcel to {{{{{{Cities[i % Cities.Length]}}}}}}."}]}""",
            < 14 => $$$$$$"""{"model":"tiny-random","max_tokens":16,"messages":[{"role":"user","content":"Translate item {{{{{{i}}}}}} to French."}]}""",
            14 => $$$$$$"""{"model":"auto","max_tokens":24,"messages":[{"role":"user","content":"Weather in {{{{{{Cities[i % Cities.Length]}}}}}} on day {{{{{{i % 7}}}}}}?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":20},"day":{"type":"integer","minimum":0,"maximum":6}},"required":["city","day"]}}}]}""",
            15 => $$$$$$"""{"model":"auto","max_tokens":24,"messages":[{"role":"user","content":"Extract the order number from: 'Order {{{{{{i}}}}}} arrived damaged'."}],"response_format":{"type":"json_schema","json_schema":{"name":"order","schema":{"type":"object","properties":{"order":{"type":"integer"}},"required":["order"]}}}}""",
            16 => $$$$$$"""{"model":"auto","max_tokens":16,"messages":[{"role":"user","content":"Write a detailed proof that sqrt({{{{{{i % 50 + 2}}}}}}) is irrational, and discuss its history."}]}""",
            17 => $$$$$$"""{"model":"auto","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"Say hi to customer {{{{{{i}}}}}}."}]}""",
            18 => $$$$$$"""{"model":"{{{{{{remote}}}}}}","messages":[]}""",
            _ => $$$$$$"""{"model":"{{{{{{remote}}}}}}","messages":[{"role":"user","content":"bad \ud800 {{{{{{i}}}}}}"}]}""",
        };
    }

    private static readonly string[] Cities = ["Oslo", "Lyon", "Kyoto", "Lima", "Perth", "Accra", "Quebec", "Tartu"];

    private static async Task<string> SettledAsync(ShippedGateway gateway)
    {
        var capture = await gateway.CaptureAsync();
        for (var attempt = 0; attempt < 120 && capture.GetProperty("waiting").GetInt32() > 0; attempt++)
        {
            await Task.Delay(500);
            capture = await gateway.CaptureAsync();
        }

        return capture.ToString();
    }

    private static string Statuses(ConcurrentDictionary<int, int> statuses) =>
        string.Join(" ", statuses.OrderBy(pair => pair.Key).Select(pair => $"{pair.Key}:{pair.Value}"));

    private static double Argument(string[] args, string name, double fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
