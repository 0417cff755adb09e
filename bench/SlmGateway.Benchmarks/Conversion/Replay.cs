using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Benchmarks.Measurement;
using SlmGateway.Tests.Common;

namespace SlmGateway.Benchmarks.Conversion;

/// <summary>
/// Sends a file of calls through a gateway process (its local model, a fake remote model that gives
/// each call its recorded answer, capture into a fresh SQLite file, every remote call shadowed) and
/// prints what the loop concluded: the clusters it found, the local model's agreement with the
/// remote answers, the promotions, and where the same calls go once the gateway may choose.
/// </summary>
internal static class Replay
{
    private static readonly Uri GatewayUrl = new("http://127.0.0.1:5103/");

    public static async Task<int> RunAsync(string[] args)
    {
        var file = Option(args, "--file");
        var calls = (file is null ? ReplayTraffic.FromDevelopmentData(Option(args, "--data") ?? Path.Combine("..", "shared", "data")) : ReplayTraffic.FromFile(file)).ToList();
        if (Option(args, "--limit") is { } limit)
        {
            calls = calls.Take(int.Parse(limit, CultureInfo.InvariantCulture)).ToList();
        }

        var answers = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var call in calls)
        {
            answers[LastUserText(call.Request)] = call.Answer;
        }

        await using var remote = await FakeUpstream.StartAsync(record: false);
        remote.Handler = (context, request, _) =>
        {
            var body = JsonNode.Parse(request.Body)!.AsObject();
            var answer = answers.GetValueOrDefault(LastUserText(body)) ?? new JsonObject { ["role"] = "assistant", ["content"] = "OK." };
            var completion = new JsonObject
            {
                ["id"] = "chatcmpl-replay",
                ["object"] = "chat.completion",
                ["created"] = 1700000000,
                ["model"] = "gpt-4o-mini",
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = answer.DeepClone(), ["finish_reason"] = answer["tool_calls"] is null ? "stop" : "tool_calls" }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 100, ["completion_tokens"] = 20, ["total_tokens"] = 120 },
            };
            return OpenAiResponses.WriteJsonAsync(context.Response, 200, completion.ToJsonString());
        };

        var adminKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var store = Path.Combine(Path.GetTempPath(), $"slmgw-replay-{Guid.NewGuid():N}.db");
        var model = Option(args, "--model-dir") ?? Path.Combine("models", "tiny-random");
        await using var gateway = await ChildProcess.StartAsync("gateway", new Uri(GatewayUrl, "readyz"), $"0-{Environment.ProcessorCount - 1}", "dotnet",
            Path.Combine(AppContext.BaseDirectory, "SlmGateway.dll"),
            $"--Urls={GatewayUrl.ToString().TrimEnd('/')}",
            "--SlmGateway:Local:Models:0:Name=replay-slm",
            $"--SlmGateway:Local:Models:0:Path={model}",
            "--SlmGateway:Local:Models:0:Tasks:0=tool_call",
            "--SlmGateway:Local:Models:0:Tasks:1=json",
            "--SlmGateway:Local:Models:0:Tasks:2=chat",
            $"--SlmGateway:Local:Models:0:RandomWeights={model.Contains("random", StringComparison.Ordinal)}",
            $"--SlmGateway:Local:Models:0:MaxOutputTokens={Option(args, "--max-output-tokens") ?? "64"}",
            "--SlmGateway:Routing:LocalModel=replay-slm",
            "--SlmGateway:Routing:RemoteModel=gpt-4o-mini",
            "--SlmGateway:Remote:Upstreams:0:Name=replay",
            $"--SlmGateway:Remote:Upstreams:0:BaseUrl={remote.BaseUrl}",
            "--SlmGateway:Remote:Upstreams:0:Models:gpt-4o-mini=gpt-4o-mini",
            "--SlmGateway:Loop:Capture:Enabled=true",
            $"--SlmGateway:Loop:Capture:ConnectionString=Data Source={store}",
            "--SlmGateway:Loop:Capture:QueueLength=100000",
            $"--SlmGateway:Loop:Shadow:SampleRate={Option(args, "--shadow-rate") ?? "1"}",
            "--SlmGateway:Loop:Shadow:CpuBudget=1",
            "--SlmGateway:Loop:Shadow:QueueLength=100000",
            $"--SlmGateway:Loop:Promotion:MinSamples={Option(args, "--min-samples") ?? "5"}",
            "--SlmGateway:Loop:Promotion:Interval=01:00:00",
            "--SlmGateway:Auth:AdminKeys:0:Id=replay",
            $"--SlmGateway:Auth:AdminKeys:0:Sha256={Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(adminKey)))}",
            "--Serilog:MinimumLevel:Default=Warning");
        using var client = new HttpClient { BaseAddress = GatewayUrl, Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);

        Console.WriteLine($"phase 1 (observe): {calls.Count} calls to gpt-4o-mini through the gateway, captured and shadowed by the local model at {model}");
        var started = Stopwatch.GetTimestamp();
        var observed = await SendAllAsync(client, calls, "gpt-4o-mini");
        var sent = Stopwatch.GetElapsedTime(started);
        Console.WriteLine($"  answers: {string.Join(", ", observed.GroupBy(o => o.Status).Select(g => $"HTTP {g.Key} x{g.Count()}"))} in {sent.TotalSeconds:F1} s");
        var status = await WaitForLoopAsync(client, calls.Count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  the loop caught up {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s after the first call (capture written, shadow runs done)"));
        Console.WriteLine($"  capture: {status["capture"]!.ToJsonString()}");
        Console.WriteLine($"  shadow:  {status["shadow"]!.ToJsonString()}");

        var changes = (await SendAsync(client, HttpMethod.Post, "/admin/loop/evaluate"))["changes"]!.AsArray();
        var clusters = (await SendAsync(client, HttpMethod.Get, "/admin/clusters"))["data"]!.AsArray().Select(c => c!.AsObject()).ToList();
        PrintClusters(clusters);
        Console.WriteLine($"promotions by the policy: {changes.Count}");
        foreach (var change in changes)
        {
            Console.WriteLine($"  cluster {change!["cluster"]} -> {change["to"]} ({change["model"]}): {change["evidence"]!.ToJsonString()}");
        }

        Console.WriteLine($"phase 2 (serve): the same {calls.Count} calls to 'auto'");
        var served = await SendAllAsync(client, calls, "auto");
        foreach (var group in served.GroupBy(s => (s.Route, s.Reason)).OrderByDescending(g => g.Count()))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {group.Key.Route,-7} {group.Key.Reason,-22} {group.Count(),6}  {(double)group.Count() / served.Count,7:P1}"));
        }

        var promoted = served.Count(s => s.Reason == "cluster_promoted");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"conclusion: {clusters.Count} clusters; {changes.Count} promoted; {promoted} of {served.Count} calls ({(double)promoted / Math.Max(1, served.Count):P1}) now served locally because their cluster was promoted; {served.Count(s => s.Route == "local")} served locally in all."));
        File.Delete(store);
        return 0;
    }

    private static void PrintClusters(List<JsonObject> clusters)
    {
        long Samples(JsonObject c) => c["shadow"]!.AsArray().Sum(s => (long)s!["samples"]!);
        long Agreed(JsonObject c) => c["shadow"]!.AsArray().Sum(s => (long)s!["agreed"]!);
        var sizes = clusters.Select(c => (long)c["size"]!).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"clusters: {clusters.Count} (sizes: {sizes.Count(s => s == 1)} of 1, {sizes.Count(s => s is >= 2 and < 5)} of 2-4, {sizes.Count(s => s >= 5)} of 5 or more); shadow agreement over all: {clusters.Sum(Agreed)}/{clusters.Sum(Samples)}"));
        Console.WriteLine("  largest:   id  size  agreed/samples  tools | terms");
        foreach (var cluster in clusters.OrderByDescending(c => (long)c["size"]!).Take(12))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"          {(long)cluster["id"]!,4} {(long)cluster["size"]!,5}  {Agreed(cluster),6}/{Samples(cluster),-7}  {string.Join(",", cluster["tools"]!.AsArray().Select(t => (string?)t))} | {string.Join(" ", cluster["terms"]!.AsArray().Select(t => (string?)t))}"));
        }
    }

    private static async Task<JsonObject> WaitForLoopAsync(HttpClient client, int calls)
    {
        for (var attempt = 0; ; attempt++)
        {
            var status = await SendAsync(client, HttpMethod.Get, "/admin/loop");
            var (capture, shadow) = (status["capture"]!, status["shadow"]!);
            var captured = (long)capture["accepted"]! + (long)capture["dropped"]! >= calls && (long)capture["accepted"]! == (long)capture["written"]! + (long)capture["failed"]!;
            if (captured && (long)shadow["queued"]! == (long)shadow["evaluated"]! + (long)shadow["skipped"]!)
            {
                return status;
            }

            if (attempt % 50 == 0)
            {
                Console.WriteLine($"  waiting for the loop: capture {capture.ToJsonString()}, shadow {shadow.ToJsonString()}");
            }

            await Task.Delay(200);
        }
    }

    private static async Task<List<(int Status, string Route, string Reason)>> SendAllAsync(HttpClient client, List<ReplayCall> calls, string model)
    {
        var results = new (int, string, string)[calls.Count];
        await Parallel.ForAsync(0, calls.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, cancellationToken) =>
        {
            var request = calls[i].Request.DeepClone().AsObject();
            request["model"] = model;
            using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(message, cancellationToken);
            results[i] = ((int)response.StatusCode, Header(response, "x-slmgw-route"), Header(response, "x-slmgw-reason"));
        });
        return [.. results];
    }

    internal static async Task<JsonObject> SendAsync(HttpClient client, HttpMethod method, string path)
    {
        using var response = await client.SendAsync(new HttpRequestMessage(method, path));
        var body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? JsonNode.Parse(body)!.AsObject() : throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {body}");
    }

    internal static string LastUserText(JsonObject request) =>
        request["messages"]!.AsArray().LastOrDefault(m => (string?)m!["role"] == "user")?["content"] is JsonValue text && text.GetValueKind() == JsonValueKind.String
            ? text.GetValue<string>()
            : string.Empty;

    internal static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.First() : "-";

    internal static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
