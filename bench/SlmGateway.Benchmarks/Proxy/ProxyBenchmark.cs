using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Benchmarks.Measurement;
using SlmGateway.Tests.Common;

namespace SlmGateway.Benchmarks.Proxy;

/// <summary>
/// The gateway against a bare YARP proxy and against the upstream directly, in one run, on the
/// same fake upstream. The measured proxy runs on core 0; the load generator and upstream on core 1.
/// Targets are measured in turn within each repeat, so every repeat pairs the gateway with bare YARP.
/// </summary>
internal static class ProxyBenchmark
{
    internal const string ProxyCore = "0";
    internal const int DriverCore = 1;
    private const string AdminKey = "bench-admin-key";
    internal static readonly Uri BareYarpUrl = new("http://127.0.0.1:5101/");
    internal static readonly Uri GatewayUrl = new("http://127.0.0.1:5102/");
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    // The runtime settings the image sets (deploy/Dockerfile): a 32 MB floor on the GC's young generation,
    // and 256 arrays of a size per core in the shared array pool.
    internal static readonly Dictionary<string, string> ImageRuntimeEnvironment = new()
    {
        ["DOTNET_GCgen0size"] = "0x2000000",
        ["DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION"] = "256",
    };

    public static async Task<int> RunAsync(BenchmarkArguments options)
    {
        DriverPinning.PinEveryThread(DriverCore);

        await using var upstream = await FakeUpstream.StartAsync(record: false);
        var targets = options.Targets;
        var runs = targets.ToDictionary(t => t, _ => new List<TargetRun>());
        Console.WriteLine($"{options.Connections} connections, {options.WarmupSeconds} s warm-up, {options.MeasureSeconds} s measured (plain, then streamed), {options.Repeats} repeats, {Environment.ProcessorCount} cores");

        for (var repeat = 1; repeat <= options.Repeats; repeat++)
        {
            foreach (var target in targets)
            {
                var run = await MeasureAsync(target, upstream, options);
                runs[target].Add(run);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  repeat {repeat} {target,-18}: {run.Load.RequestsPerSecond,6:F0} req/s (p50 {run.Load.Latency.P50:F2}, p99 {run.Load.Latency.P99:F2} ms), streamed {run.Streamed.RequestsPerSecond,6:F0} req/s, one at a time p50 {run.Sequential.P50:F3} p99 {run.Sequential.P99:F3} ms, TTFB p50 {run.Ttfb.P50:F3} ms, CPU {run.CpuMicrosPerRequest:F0} us/req, RSS idle {run.IdleRssMiB:F0} / load {run.LoadRssMiB:F0} MiB, warm-up {run.WarmupSeconds} s{run.GatewayCounters}"));
                Console.WriteLine($"    first seconds under load (req/s): {string.Join(' ', run.WarmupCurve.Take(15))}");
            }
        }

        Report(runs);
        if (options.SoakMinutes > 0)
        {
            await SoakAsync(upstream, options);
        }

        return 0;
    }

    private static async Task<TargetRun> MeasureAsync(string target, FakeUpstream upstream, BenchmarkArguments options)
    {
        await using var child = target switch
        {
            "bare-yarp" => await ChildProcess.StartAsync("bare-yarp", new Uri(BareYarpUrl, "healthz"), ProxyCore, Environment.ProcessPath!, "bare-yarp", BareYarpUrl.ToString().TrimEnd('/'), upstream.Address),
            "yarp-read-body" or "yarp-read-chat" => await ChildProcess.StartAsync(
                target, new Uri(BareYarpUrl, "healthz"), ProxyCore, Environment.ProcessPath!, "bare-yarp", BareYarpUrl.ToString().TrimEnd('/'), upstream.Address, target[5..]),
            "gateway" => await StartGatewayAsync(upstream, options.GatewayDll, capture: true, GatewayUrl, ImageRuntimeEnvironment),
            "gateway-no-capture" => await StartGatewayAsync(upstream, options.GatewayDll, capture: false, GatewayUrl, ImageRuntimeEnvironment),
            "gateway-no-local" => await StartGatewayAsync(upstream, options.GatewayDll, capture: true, GatewayUrl, ImageRuntimeEnvironment, localModel: false),
            _ => null,
        };
        var baseUrl = target switch
        {
            "bare-yarp" or "yarp-read-body" or "yarp-read-chat" => BareYarpUrl,
            "gateway" or "gateway-no-capture" or "gateway-no-local" => GatewayUrl,
            _ => new Uri(upstream.Address + "/"),
        };

        await Task.Delay(Settle);
        var idleRss = child?.RssMiB() ?? double.NaN;
        using var load = new LoadGenerator(baseUrl, options.Connections);
        var warmup = await load.RunAsync(options.Connections, TimeSpan.FromSeconds(options.WarmupSeconds));
        var isGateway = target is "gateway" or "gateway-no-capture" or "gateway-no-local";
        var runtimeBefore = isGateway ? await RuntimeCounters.ReadAsync(GatewayUrl) : null;
        var cpuBefore = child?.CpuTime() ?? TimeSpan.Zero;
        var measured = await load.RunAsync(options.Connections, TimeSpan.FromSeconds(options.MeasureSeconds));
        var cpuPerRequest = child is null ? double.NaN
            : (child.CpuTime() - cpuBefore).TotalMicroseconds / (measured.RequestsPerSecond * options.MeasureSeconds);
        var runtime = runtimeBefore is null ? string.Empty
            : (await RuntimeCounters.ReadAsync(GatewayUrl)).Since(runtimeBefore, measured.RequestsPerSecond * options.MeasureSeconds, options.MeasureSeconds);
        var loadRss = child?.RssMiB() ?? double.NaN;
        var streamed = await load.RunAsync(options.Connections, TimeSpan.FromSeconds(options.MeasureSeconds), stream: true);
        var ttfb = await load.SequentialAsync(options.SequentialRequests, stream: true);
        var sequential = await load.SequentialAsync(options.SequentialRequests, stream: false);
        var capture = target is "gateway" or "gateway-no-local" ? await CaptureKeptAsync() : string.Empty;
        var warmupSeconds = Array.FindIndex(warmup.PerSecond, count => count >= 0.9 * measured.RequestsPerSecond);
        return new TargetRun(measured, streamed, ttfb, sequential, idleRss, Math.Max(loadRss, child?.RssMiB() ?? double.NaN),
            warmupSeconds < 0 ? options.WarmupSeconds : warmupSeconds + 1, warmup.PerSecond, cpuPerRequest, runtime + capture);
    }

    /// <summary>
    /// The gateway as it ships, run as the image runs it: in its own folder (the content root, so its
    /// appsettings.json applies, with the trace store under <c>data/</c> there), with the image's runtime
    /// settings, capture on into a fresh SQLite file, the per-request log event; or the same with capture
    /// off; or (<paramref name="localModel"/> false) the same settings without the local model they
    /// name, from a content root of its own. The build next to the benchmark, or a published one
    /// (<c>--gateway-dll</c>, as the image has it).
    /// </summary>
    internal static Task<ChildProcess> StartGatewayAsync(
        FakeUpstream upstream, string dll, bool capture, Uri url, IReadOnlyDictionary<string, string> environment, bool localModel = true)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(dll))!;
        var contentRoot = localModel ? folder : WithoutLocalModel(folder);
        var store = $"data/slmgw-bench-{url.Port}.db";
        Directory.CreateDirectory(Path.Combine(contentRoot, "data"));
        foreach (var file in (string[])["", "-wal", "-shm"])
        {
            File.Delete(Path.Combine(contentRoot, store + file));
        }

        return ChildProcess.StartAsync(localModel ? (capture ? "gateway" : "gateway-no-capture") : "gateway-no-local", new Uri(url, "healthz"), ProxyCore, environment, contentRoot, "dotnet", dll,
            $"--contentRoot={contentRoot}",
            $"--Urls={url.ToString().TrimEnd('/')}",
            "--SlmGateway:Remote:Upstreams:0:Name=bench",
            $"--SlmGateway:Remote:Upstreams:0:BaseUrl={upstream.BaseUrl}",
            "--SlmGateway:Remote:Upstreams:0:Models:bench-model=bench-model",
            $"--SlmGateway:Loop:Capture:Enabled={capture}",
            $"--SlmGateway:Loop:Capture:ConnectionString=Data Source={store}",
            "--SlmGateway:Auth:AdminKeys:0:Id=bench",
            $"--SlmGateway:Auth:AdminKeys:0:Sha256={Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AdminKey)))}");
    }

    /// <summary>A content root holding the build's appsettings.json with no local model (none listed, none routed to).</summary>
    private static string WithoutLocalModel(string buildFolder)
    {
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(buildFolder, "appsettings.json")))!;
        settings["SlmGateway"]!["Local"]!["Models"] = new JsonArray();
        settings["SlmGateway"]!["Routing"]!.AsObject().Remove("LocalModel");
        var folder = Path.Combine(Path.GetTempPath(), "slmgw-bench-no-local");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "appsettings.json"), settings.ToJsonString());
        return folder;
    }

    /// <summary>
    /// What capture kept of the calls so far (the load's included), once its writer has caught up (at
    /// most a minute): accepted against those it left out or dropped, and how many it wrote without
    /// their task cluster (its clustering backlog overflowed).
    /// </summary>
    private static async Task<string> CaptureKeptAsync()
    {
        using var client = new HttpClient { BaseAddress = GatewayUrl };
        var capture = await LoopCaptureAsync(client);
        for (var second = 0; second < 60 && (capture.GetProperty("waiting").GetInt64() > 0 || capture.GetProperty("clustering").GetInt64() > 0); second++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            capture = await LoopCaptureAsync(client);
        }

        var (accepted, sampledOut, dropped) = (capture.GetProperty("accepted").GetInt64(), capture.GetProperty("sampled_out").GetInt64(), capture.GetProperty("dropped").GetInt64());
        return string.Create(CultureInfo.InvariantCulture,
            $", capture kept {accepted} of {accepted + sampledOut + dropped} calls ({100.0 * accepted / Math.Max(1, accepted + sampledOut + dropped):F1}%; {dropped} dropped; {capture.GetProperty("unclustered").GetInt64()} written without a cluster)");
    }

    private static async Task<JsonElement> LoopCaptureAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/loop");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await client.SendAsync(request);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("capture").Clone();
    }

    private static void Report(Dictionary<string, List<TargetRun>> runs)
    {
        Console.WriteLine();
        Console.WriteLine("medians of the repeats (spread of req/s: (max - min) / median)");
        Console.WriteLine("target               req/s (spread)  streamed req/s (spread)  one-at-a-time p50 / p99 ms  TTFB p50 ms  CPU us/req  RSS idle / load MiB  warm-up s");
        foreach (var (target, list) in runs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{target,-18} {Median(list, r => r.Load.RequestsPerSecond),8:F0} ({Spread(list, r => r.Load.RequestsPerSecond),5:F1}%) {Median(list, r => r.Streamed.RequestsPerSecond),10:F0} ({Spread(list, r => r.Streamed.RequestsPerSecond),5:F1}%)       {Median(list, r => r.Sequential.P50),8:F3} / {Median(list, r => r.Sequential.P99),6:F3}      {Median(list, r => r.Ttfb.P50),8:F3} {Median(list, r => r.CpuMicrosPerRequest),11:F0}   {Median(list, r => r.IdleRssMiB),7:F0} / {Median(list, r => r.LoadRssMiB),5:F0}  {Median(list, r => r.WarmupSeconds),9:F0}"));
        }

        if (!runs.TryGetValue("bare-yarp", out var bare))
        {
            return;
        }

        foreach (var compared in (string[])["yarp-read-body", "yarp-read-chat", "gateway", "gateway-no-capture", "gateway-no-local"])
        {
            if (!runs.TryGetValue(compared, out var list))
            {
                continue;
            }

            Console.WriteLine();
            Console.WriteLine($"{compared} against bare YARP, per repeat (paired: measured one after the other):");
            for (var i = 0; i < list.Count; i++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  repeat {i + 1}: req/s {list[i].Load.RequestsPerSecond / bare[i].Load.RequestsPerSecond:F2}x, streamed {list[i].Streamed.RequestsPerSecond / bare[i].Streamed.RequestsPerSecond:F2}x, one-at-a-time p50 {list[i].Sequential.P50 - bare[i].Sequential.P50:+0.000;-0.000} ms, TTFB {list[i].Ttfb.P50 - bare[i].Ttfb.P50:+0.000;-0.000} ms"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  median: req/s {Median(list, r => r.Load.RequestsPerSecond) / Median(bare, r => r.Load.RequestsPerSecond):F2}x, streamed {Median(list, r => r.Streamed.RequestsPerSecond) / Median(bare, r => r.Streamed.RequestsPerSecond):F2}x, one-at-a-time p50 {Median(list, r => r.Sequential.P50) - Median(bare, r => r.Sequential.P50):+0.000;-0.000} ms (p99 {Median(list, r => r.Sequential.P99):F3} ms), TTFB {Median(list, r => r.Ttfb.P50) - Median(bare, r => r.Ttfb.P50):+0.000;-0.000} ms"));
        }
    }

    private static double Median(List<TargetRun> runs, Func<TargetRun, double> value) => Stats.Median(runs.Select(value));

    private static double Spread(List<TargetRun> runs, Func<TargetRun, double> value) => Stats.SpreadPercent(runs.Select(value).ToArray());

    private static async Task SoakAsync(FakeUpstream upstream, BenchmarkArguments options)
    {
        Console.WriteLine();
        Console.WriteLine($"soak: the gateway as shipped at {options.Connections} connections for {options.SoakMinutes} min");
        await using var gateway = await StartGatewayAsync(upstream, options.GatewayDll, capture: true, GatewayUrl, ImageRuntimeEnvironment);
        using var load = new LoadGenerator(GatewayUrl, options.Connections);
        var slices = options.SoakMinutes * 2;
        var samples = new List<double>();
        for (var slice = 0; slice < slices; slice++)
        {
            var result = await load.RunAsync(options.Connections, TimeSpan.FromSeconds(30));
            samples.Add(gateway.RssMiB());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {(slice + 1) * 30,5} s: {result.RequestsPerSecond,8:F0} req/s  p99 {result.Latency.P99:F3} ms  RSS {samples[^1]:F1} MiB  errors {result.Errors}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak RSS: after first 30 s {samples[0]:F1} MiB, at end {samples[^1]:F1} MiB, max {samples.Max():F1} MiB"));
    }

    private sealed record TargetRun(
        LoadResult Load, LoadResult Streamed, Percentiles Ttfb, Percentiles Sequential, double IdleRssMiB, double LoadRssMiB,
        int WarmupSeconds, int[] WarmupCurve, double CpuMicrosPerRequest, string GatewayCounters);
}
