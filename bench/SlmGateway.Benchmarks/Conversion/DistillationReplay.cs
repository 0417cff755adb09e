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
/// The whole conversion loop on a synthetic agent workload (<see cref="AgentWorkload"/>): a gateway
/// process whose <c>auto</c> model goes remote until the loop says otherwise, a deterministic fake
/// remote "teacher", capture and clustering, one distillation job per task cluster (the real engine),
/// shadow runs of the specialists on fresh calls, the promotion policy, then fresh calls served, each
/// answer checked against the correct one.
/// </summary>
internal static class DistillationReplay
{
    private static readonly Uri GatewayUrl = new("http://127.0.0.1:5104/");

    public static async Task<int> RunAsync(string[] args)
    {
        int Count(string name, int fallback) => Replay.Option(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
        var (observeCalls, shadowCalls, serveCalls) = (Count("--observe", 500), Count("--shadow", 40), Count("--serve", 100));
        var observe = AgentWorkload.Generate(observeCalls, seed: 1);
        var seen = observe.Select(call => Replay.LastUserText(call.Request)).ToHashSet(StringComparer.Ordinal);

        // Fresh calls only: an ask the agent already sent while the loop observed would measure memory, not the specialist.
        var shadow = AgentWorkload.Generate(shadowCalls, seed: 2).Where(call => seen.Add(Replay.LastUserText(call.Request))).ToList();
        var serve = AgentWorkload.Generate(serveCalls, seed: 3).Where(call => seen.Add(Replay.LastUserText(call.Request))).ToList();
        var answers = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var call in observe.Concat(shadow).Concat(serve))
        {
            answers[Replay.LastUserText(call.Request)] = call.Answer;
        }

        await using var teacher = await FakeUpstream.StartAsync(record: false);
        teacher.Handler = (context, request, _) => OpenAiResponses.WriteJsonAsync(context.Response, 200, Completion(answers[Replay.LastUserText(JsonNode.Parse(request.Body)!.AsObject())]));

        var adminKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var work = Directory.CreateTempSubdirectory("slmgw-distill-replay-");
        await using var gateway = await ChildProcess.StartAsync("gateway", new Uri(GatewayUrl, "readyz"), $"0-{Environment.ProcessorCount - 1}", "dotnet",
            Path.Combine(AppContext.BaseDirectory, "SlmGateway.dll"),
            $"--Urls={GatewayUrl.ToString().TrimEnd('/')}",
            "--SlmGateway:Local:Models:0:Name=tiny-random",
            $"--SlmGateway:Local:Models:0:Path={Path.Combine("models", "tiny-random")}",
            "--SlmGateway:Local:Models:0:RandomWeights=true",
            "--SlmGateway:Routing:LocalModel=tiny-random",
            "--SlmGateway:Routing:RemoteModel=gpt-4o-mini",
            "--SlmGateway:Routing:Threshold=1",
            "--SlmGateway:Remote:Upstreams:0:Name=teacher",
            $"--SlmGateway:Remote:Upstreams:0:BaseUrl={teacher.BaseUrl}",
            "--SlmGateway:Remote:Upstreams:0:Models:gpt-4o-mini=gpt-4o-mini",
            "--SlmGateway:Loop:Capture:Enabled=true",
            $"--SlmGateway:Loop:Capture:ConnectionString=Data Source={Path.Combine(work.FullName, "traces.db")}",
            "--SlmGateway:Loop:Capture:QueueLength=100000",
            "--SlmGateway:Loop:Shadow:SampleRate=1",
            "--SlmGateway:Loop:Shadow:CpuBudget=1",
            "--SlmGateway:Loop:Shadow:QueueLength=100000",
            "--SlmGateway:Loop:Promotion:Interval=01:00:00",
            $"--SlmGateway:Loop:Distillation:OutputPath={Path.Combine(work.FullName, "specialists")}",
            $"--SlmGateway:Loop:Distillation:Python={Replay.Option(args, "--python") ?? "python3"}",
            $"--SlmGateway:Loop:Distillation:Steps={Count("--steps", 8000)}",
            "--SlmGateway:Auth:AdminKeys:0:Id=replay",
            $"--SlmGateway:Auth:AdminKeys:0:Sha256={Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(adminKey)))}",
            "--Serilog:MinimumLevel:Default=Warning");
        using var client = new HttpClient { BaseAddress = GatewayUrl, Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);

        Console.WriteLine($"phase 1 (observe): {observe.Count} calls of {AgentWorkload.Tasks.Length} tasks to 'auto', answered by the teacher");
        var before = await SendAllAsync(client, observe);
        await WaitForLoopAsync(client);
        var clusters = (await Replay.SendAsync(client, HttpMethod.Get, "/admin/clusters"))["data"]!.AsArray().Select(c => c!.AsObject()).ToList();
        var taskOfCluster = clusters.ToDictionary(c => (long)c["id"]!, TaskOf);
        Console.WriteLine($"  {clusters.Count} clusters: {string.Join(", ", clusters.Select(c => $"{c["id"]} {TaskOf(c)} ({c["size"]} calls)"))}");

        var reports = new Dictionary<string, JsonObject>();
        var distilled = Replay.Option(args, "--distill")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? AgentWorkload.Tasks;
        foreach (var (clusterId, task) in taskOfCluster.Where(pair => distilled.Contains(pair.Value)))
        {
            Console.WriteLine($"phase 2 (distill): cluster {clusterId} ({task})");
            reports[task] = await DistillAsync(client, clusterId);
        }

        Console.WriteLine($"phase 3 (shadow): {shadow.Count} fresh calls to 'auto', each answered remotely and shadowed by its cluster's specialist");
        await SendAllAsync(client, shadow);
        await WaitForLoopAsync(client);
        // Read before the policy runs: a promotion starts the cluster's evidence afresh.
        var shadowStats = (await Replay.SendAsync(client, HttpMethod.Get, "/admin/clusters"))["data"]!.AsArray()
            .ToDictionary(c => taskOfCluster.GetValueOrDefault((long)c!["id"]!, "other"), c => c!["shadow"]!.AsArray().FirstOrDefault());
        var changes = (await Replay.SendAsync(client, HttpMethod.Post, "/admin/loop/evaluate"))["changes"]!.AsArray();
        foreach (var change in changes)
        {
            Console.WriteLine($"  cluster {change!["cluster"]} ({taskOfCluster[(long)change["cluster"]!]}) -> {change["to"]} ({change["model"]}): {change["evidence"]!.ToJsonString()}");
        }

        Console.WriteLine($"phase 4 (serve): {serve.Count} fresh calls to 'auto', every answer checked against the correct one");
        var after = await SendAllAsync(client, serve);
        PrintReport(reports, shadowStats, changes, before, after);
        work.Delete(recursive: true);
        return 0;
    }

    private static async Task<JsonObject> DistillAsync(HttpClient client, long clusterId)
    {
        var job = await Replay.SendAsync(client, HttpMethod.Post, $"/admin/clusters/{clusterId}/distill");
        var id = (string)job["id"]!;
        var started = Stopwatch.StartNew();
        var lastPrint = TimeSpan.Zero;
        while ((string)job["state"]! == "running")
        {
            await Task.Delay(1000);
            job = await Replay.SendAsync(client, HttpMethod.Get, $"/admin/distillations/{id}");
            if (started.Elapsed - lastPrint > TimeSpan.FromSeconds(60))
            {
                lastPrint = started.Elapsed;
                Console.WriteLine($"  {started.Elapsed.TotalSeconds:F0} s: stage {job["stage"]}, step {job["step"]}/{job["steps"]}, loss {job["loss"]}");
            }
        }

        Console.WriteLine($"  {job["state"]} in {started.Elapsed.TotalSeconds:F0} s: {(job["report"] ?? job["error"])?.ToJsonString()}");
        return job;
    }

    private static void PrintReport(
        Dictionary<string, JsonObject> jobs, Dictionary<string, JsonNode?> shadow, JsonArray changes, List<Served> before, List<Served> after)
    {
        var promotedModels = changes.Where(c => (string?)c!["to"] == "promoted").Select(c => (string?)c!["model"]).ToHashSet();
        Console.WriteLine();
        Console.WriteLine("| task | examples | training s | model MB | held-back exact | shadow agreed / validated / fresh | promoted | served locally | escalated | local answers wrong | all answers right |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var task in AgentWorkload.Tasks)
        {
            var report = jobs.GetValueOrDefault(task)?["report"];
            var stats = shadow.GetValueOrDefault(task);
            var served = after.Where(s => s.Task == task).ToList();
            var local = served.Where(s => s.Route == "local").ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {task} | {report?["training_examples"]} | {report?["training_seconds"]} | {(double?)report?["model_bytes"] / 1e6:F1} | {report?["validation_exact"]}/{report?["validation_examples"]} | {stats?["agreed"]}/{stats?["schema_valid"]}/{stats?["samples"]} | {(promotedModels.Contains((string?)jobs.GetValueOrDefault(task)?["model"]) ? "yes" : "no")} | {local.Count}/{served.Count} | {served.Count(s => s.Reason.StartsWith("escalated_", StringComparison.Ordinal))} | {local.Count(s => !s.Right)} | {served.Count(s => s.Right)}/{served.Count} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"served locally: before {before.Count(s => s.Route == "local")}/{before.Count}, after {after.Count(s => s.Route == "local")}/{after.Count} ({(double)after.Count(s => s.Route == "local") / after.Count:P1}); wrong answers after: {after.Count(s => !s.Right)} ({after.Count(s => s.Route == "local" && !s.Right)} of them local)"));
        foreach (var wrong in after.Where(s => !s.Right))
        {
            Console.WriteLine($"  wrong ({wrong.Task}, {wrong.Route}, {wrong.Reason}): {wrong.Wrong}");
        }
    }

    /// <summary>One answered call; <c>Wrong</c> says, for a wrong answer, the ask, the answer and the correct one.</summary>
    private sealed record Served(string Task, string Route, string Reason, bool Right, string? Wrong);

    private static async Task<List<Served>> SendAllAsync(HttpClient client, List<AgentCall> calls)
    {
        var results = new Served[calls.Count];
        await Parallel.ForAsync(0, calls.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, cancellationToken) =>
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(calls[i].Request.ToJsonString(), Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(message, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var answer = response.IsSuccessStatusCode ? JsonNode.Parse(body)!["choices"]![0]!["message"]!.AsObject() : null;
            var right = answer is not null && IsRight(answer, calls[i].Answer);
            var messages = calls[i].Request["messages"]!.AsArray();
            var wrong = right ? null : $"{(string?)messages[messages.Count - 1]!["content"]} -> {(answer is null ? body : AnswerText(answer))} (correct: {AnswerText(calls[i].Answer)})";
            results[i] = new Served(calls[i].Task, Replay.Header(response, "x-slmgw-route"), Replay.Header(response, "x-slmgw-reason"), right, wrong);
        });
        return [.. results];
    }

    private static string? AnswerText(JsonObject message) =>
        message["tool_calls"] is JsonArray { Count: > 0 } calls ? (string?)calls[0]!["function"]!["arguments"] : (string?)message["content"];

    /// <summary>The same tool and arguments (numbers by value), or the same JSON content.</summary>
    private static bool IsRight(JsonObject message, JsonObject expected)
    {
        if (expected["tool_calls"] is JsonArray expectedCalls)
        {
            return message["tool_calls"] is JsonArray { Count: 1 } calls
                && (string?)calls[0]!["function"]!["name"] == (string?)expectedCalls[0]!["function"]!["name"]
                && SameJson((string?)calls[0]!["function"]!["arguments"], (string?)expectedCalls[0]!["function"]!["arguments"]);
        }

        return SameJson((string?)message["content"], (string?)expected["content"]);
    }

    private static bool SameJson(string? actual, string? expected)
    {
        try
        {
            using var a = JsonDocument.Parse(actual ?? string.Empty);
            using var b = JsonDocument.Parse(expected ?? string.Empty);
            return Equal(a.RootElement, b.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool Equal(JsonElement a, JsonElement b) => (a.ValueKind, b.ValueKind) switch
    {
        (JsonValueKind.Number, JsonValueKind.Number) => a.GetDouble() == b.GetDouble(),
        (JsonValueKind.Object, JsonValueKind.Object) => a.EnumerateObject().Count() == b.EnumerateObject().Count()
            && a.EnumerateObject().All(p => b.TryGetProperty(p.Name, out var other) && Equal(p.Value, other)),
        (JsonValueKind.Array, JsonValueKind.Array) => a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(pair => Equal(pair.First, pair.Second)),
        _ => a.ValueKind == b.ValueKind && a.GetRawText() == b.GetRawText(),
    };

    private static async Task WaitForLoopAsync(HttpClient client)
    {
        while (true)
        {
            var status = await Replay.SendAsync(client, HttpMethod.Get, "/admin/loop");
            var (capture, shadow) = (status["capture"]!, status["shadow"]!);
            if ((long)capture["waiting"]! == 0 && (long)capture["clustering"]! == 0 && (long)capture["accepted"]! == (long)capture["written"]! + (long)capture["failed"]!
                && (long)shadow["queued"]! == (long)shadow["evaluated"]! + (long)shadow["skipped"]!)
            {
                return;
            }

            await Task.Delay(500);
        }
    }

    private static string TaskOf(JsonObject cluster) => cluster["tools"]!.AsArray().Select(t => (string?)t).FirstOrDefault() switch
    {
        "get_weather" => "weather",
        "get_order_status" => "order_status",
        "convert_units" => "unit_conversion",
        null => "contact_extraction",
        _ => "other",
    };

    private static string Completion(JsonObject answer) => new JsonObject
    {
        ["id"] = "chatcmpl-teacher",
        ["object"] = "chat.completion",
        ["created"] = 1700000000,
        ["model"] = "gpt-4o-mini",
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = answer.DeepClone(), ["finish_reason"] = answer["tool_calls"] is null ? "stop" : "tool_calls" }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 60, ["completion_tokens"] = 20, ["total_tokens"] = 80 },
    }.ToJsonString();
}
