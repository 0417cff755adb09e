using System.Diagnostics;
using System.Globalization;
using SlmGateway.Benchmarks.Measurement;
using SlmGateway.Tests.Common;

namespace SlmGateway.Benchmarks.Proxy;

/// <summary>
/// The gateway against a bare YARP proxy and against the upstream directly, in one run, on the
/// same fake upstream. The measured proxy runs on core 0; the load generator and upstream on core 1.
/// </summary>
internal static class ProxyBenchmark
{
    private const string ProxyCore = "0";
    private const int DriverCore = 1;
    private static readonly Uri BareYarpUrl = new("http://127.0.0.1:5101/");
    private static readonly Uri GatewayUrl = new("http://127.0.0.1:5102/");

    public static async Task<int> RunAsync(BenchmarkArguments options)
    {
        if (OperatingSystem.IsLinux() && Environment.ProcessorCount > 1)
        {
            Process.GetCurrentProcess().ProcessorAffinity = 1 << DriverCore;
        }

        await using var upstream = await FakeUpstream.StartAsync(record: false);
        var targets = options.Targets;
        var runs = targets.ToDictionary(t => t, _ => new List<TargetRun>());
        Console.WriteLine($"{options.Connections} connections, {options.WarmupSeconds} s warm-up, {options.MeasureSeconds} s measured, {options.Repeats} repeats, {Environment.ProcessorCount} cores");

        for (var repeat = 1; repeat <= options.Repeats; repeat++)
        {
            foreach (var target in targets)
            {
                var run = await MeasureAsync(target, upstream, options);
                runs[target].Add(run);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  repeat {repeat} {target,-9}: {run.Load.RequestsPerSecond,8:F0} req/s  p50 {run.Load.Latency.P50:F3} ms  p99 {run.Load.Latency.P99:F3} ms  TTFB p50 {run.Ttfb.P50:F3} ms  one-at-a-time p50 {run.Sequential.P50:F3} p99 {run.Sequential.P99:F3} ms  CPU {run.CpuMicrosPerRequest:F0} us/req  RSS {run.RssMiB:F0} MiB  warm-up {run.WarmupSeconds} s  errors {run.Load.Errors}"));
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
            "gateway" => await StartGatewayAsync(upstream, capture: false),
            "gateway-capture" => await StartGatewayAsync(upstream, capture: true),
            _ => null,
        };
        var baseUrl = target switch
        {
            "bare-yarp" => BareYarpUrl,
            "gateway" or "gateway-capture" => GatewayUrl,
            _ => new Uri(upstream.Address + "/"),
        };

        using var load = new LoadGenerator(baseUrl, options.Connections);
        var warmup = await load.RunAsync(options.Connections, TimeSpan.FromSeconds(options.WarmupSeconds));
        var cpuBefore = child?.CpuTime() ?? TimeSpan.Zero;
        var measured = await load.RunAsync(options.Connections, TimeSpan.FromSeconds(options.MeasureSeconds));
        var cpuPerRequest = child is null ? double.NaN
            : (child.CpuTime() - cpuBefore).TotalMicroseconds / (measured.RequestsPerSecond * options.MeasureSeconds);
        var ttfb = await load.SequentialAsync(options.SequentialRequests, stream: true);
        var sequential = await load.SequentialAsync(options.SequentialRequests, stream: false);
        var rss = child?.RssMiB() ?? double.NaN;
        var warmupSeconds = Array.FindIndex(warmup.PerSecond, count => count >= 0.9 * measured.RequestsPerSecond);
        return new TargetRun(measured, ttfb, sequential, rss, warmupSeconds < 0 ? options.WarmupSeconds : warmupSeconds + 1, cpuPerRequest);
    }

    /// <summary>
    /// The gateway as it ships (its own assembly, runtime configuration and appsettings.json), with
    /// capture off, or on into a fresh SQLite file (the default store).
    /// </summary>
    private static Task<ChildProcess> StartGatewayAsync(FakeUpstream upstream, bool capture) =>
        ChildProcess.StartAsync(capture ? "gateway-capture" : "gateway", new Uri(GatewayUrl, "healthz"), ProxyCore, "dotnet",
            Path.Combine(AppContext.BaseDirectory, "SlmGateway.dll"),
            $"--Urls={GatewayUrl.ToString().TrimEnd('/')}",
            "--SlmGateway:Remote:Upstreams:0:Name=bench",
            $"--SlmGateway:Remote:Upstreams:0:BaseUrl={upstream.BaseUrl}",
            "--SlmGateway:Remote:Upstreams:0:Models:bench-model=bench-model",
            $"--SlmGateway:Loop:Capture:Enabled={capture}",
            $"--SlmGateway:Loop:Capture:ConnectionString=Data Source={Path.Combine(Path.GetTempPath(), $"slmgw-bench-{Guid.NewGuid():N}.db")}");

    private static void Report(Dictionary<string, List<TargetRun>> runs)
    {
        if (!BenchmarkArguments.AllTargets.All(runs.ContainsKey))
        {
            return;
        }

        double Rps(string t) => Stats.Median(runs[t].Select(r => r.Load.RequestsPerSecond));
        double P50(string t) => Stats.Median(runs[t].Select(r => r.Load.Latency.P50));
        double P99(string t) => Stats.Median(runs[t].Select(r => r.Load.Latency.P99));
        double Ttfb(string t) => Stats.Median(runs[t].Select(r => r.Ttfb.P50));
        double SeqP50(string t) => Stats.Median(runs[t].Select(r => r.Sequential.P50));
        double SeqP99(string t) => Stats.Median(runs[t].Select(r => r.Sequential.P99));

        Console.WriteLine();
        Console.WriteLine("           |        at 64 connections (closed loop)         | one request at a time                      |");
        Console.WriteLine("target      req/s (spread)      p50 ms   p99 ms   +p50 ms  +p99 ms  p50 ms  +p50 ms  +p99 ms  TTFB p50  +TTFB ms  CPU us/req  RSS MiB  warm-up s");
        foreach (var (target, list) in runs)
        {
            var spread = Stats.SpreadPercent(list.Select(r => r.Load.RequestsPerSecond).ToArray());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{target,-10} {Rps(target),8:F0} ({spread,5:F1}%)  {P50(target),8:F3} {P99(target),8:F3} {P50(target) - P50("direct"),8:F3} {P99(target) - P99("direct"),8:F3} {SeqP50(target),7:F3} {SeqP50(target) - SeqP50("direct"),8:F3} {SeqP99(target) - SeqP99("direct"),8:F3} {Ttfb(target),9:F3} {Ttfb(target) - Ttfb("direct"),9:F3} {Stats.Median(list.Select(r => r.CpuMicrosPerRequest)),11:F0} {Stats.Median(list.Select(r => r.RssMiB)),8:F0} {Stats.Median(list.Select(r => (double)r.WarmupSeconds)),9:F0}"));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gateway / bare YARP requests/s: {Rps("gateway") / Rps("bare-yarp"):F2}x; one-at-a-time p50 over bare YARP: {SeqP50("gateway") - SeqP50("bare-yarp"):F3} ms; TTFB over bare YARP: {Ttfb("gateway") - Ttfb("bare-yarp"):F3} ms (medians of {runs["gateway"].Count} repeats)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"capture on / off requests/s: {Rps("gateway-capture") / Rps("gateway"):F2}x; one-at-a-time p50 with capture: {SeqP50("gateway-capture") - SeqP50("gateway"):+0.000;-0.000} ms"));
    }

    private static async Task SoakAsync(FakeUpstream upstream, BenchmarkArguments options)
    {
        Console.WriteLine();
        Console.WriteLine($"soak: gateway at {options.Connections} connections for {options.SoakMinutes} min");
        await using var gateway = await StartGatewayAsync(upstream, capture: false);
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

    private sealed record TargetRun(LoadResult Load, Percentiles Ttfb, Percentiles Sequential, double RssMiB, int WarmupSeconds, double CpuMicrosPerRequest);
}
