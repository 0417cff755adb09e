using System.Globalization;
using SlmGateway.Benchmarks.Measurement;
using SlmGateway.Tests.Common;

namespace SlmGateway.Benchmarks.Proxy;

/// <summary>
/// Two gateway builds and bare YARP, all started and warmed up first, then measured in turn in short
/// slices, round after round: on a noisy machine the three sides of one round are seconds apart, so
/// their ratios hold where separate runs minutes apart do not. Plain requests, or streamed ones read to
/// their end (<c>--stream on</c>); req/s and CPU per request of each slice, each round's ratios, and
/// their medians.
/// </summary>
internal static class InterleavedComparison
{
    private static readonly Uri BaselineUrl = new("http://127.0.0.1:5103/");

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        DriverPinning.PinEveryThread(ProxyBenchmark.DriverCore);

        await using var upstream = await FakeUpstream.StartAsync(record: false);
        var baselineEnvironment = options.BaselineImageEnvironment ? ProxyBenchmark.ImageRuntimeEnvironment : new Dictionary<string, string>();
        await using var bare = await ChildProcess.StartAsync("bare-yarp", new Uri(ProxyBenchmark.BareYarpUrl, "healthz"), ProxyBenchmark.ProxyCore,
            Environment.ProcessPath!, "bare-yarp", ProxyBenchmark.BareYarpUrl.ToString().TrimEnd('/'), upstream.Address);
        await using var gateway = await ProxyBenchmark.StartGatewayAsync(upstream, options.GatewayDll, options.Capture, ProxyBenchmark.GatewayUrl, ProxyBenchmark.ImageRuntimeEnvironment);
        await using var baseline = await ProxyBenchmark.StartGatewayAsync(upstream, options.BaselineDll, options.Capture, BaselineUrl, baselineEnvironment);
        (string Name, Uri Url, ChildProcess Process)[] sides =
            [("bare-yarp", ProxyBenchmark.BareYarpUrl, bare), ("gateway", ProxyBenchmark.GatewayUrl, gateway), ("baseline", BaselineUrl, baseline)];
        Console.WriteLine($"{options.Connections} connections, {options.WarmupSeconds} s warm-up each, {options.Rounds} rounds of {options.SliceSeconds} s a side; {(options.Stream ? "streamed" : "plain")} requests; capture {(options.Capture ? "on" : "off")}; baseline {options.BaselineDll}{(options.BaselineImageEnvironment ? string.Empty : " without the image's runtime settings")}");

        foreach (var (_, url, _) in sides)
        {
            using var warmup = new LoadGenerator(url, options.Connections);
            await warmup.RunAsync(options.Connections, TimeSpan.FromSeconds(options.WarmupSeconds), options.Stream);
        }

        var slices = sides.ToDictionary(side => side.Name, _ => new List<(double RequestsPerSecond, double CpuMicros)>());
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var (name, url, process) in round % 2 == 0 ? sides.Reverse() : sides)
            {
                using var load = new LoadGenerator(url, options.Connections);
                var cpuBefore = process.CpuTime();
                var result = await load.RunAsync(options.Connections, TimeSpan.FromSeconds(options.SliceSeconds), options.Stream);
                var requests = result.RequestsPerSecond * options.SliceSeconds;
                slices[name].Add((result.RequestsPerSecond, (process.CpuTime() - cpuBefore).TotalMicroseconds / requests));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  round {round,2}: {string.Join(", ", sides.Select(side => $"{side.Name} {slices[side.Name][^1].RequestsPerSecond,6:F0} req/s {slices[side.Name][^1].CpuMicros,4:F0} us"))}; gateway/bare {Ratio(slices, "gateway", "bare-yarp", round - 1):F2}x, baseline/bare {Ratio(slices, "baseline", "bare-yarp", round - 1):F2}x, gateway/baseline {Ratio(slices, "gateway", "baseline", round - 1):F2}x"));
        }

        Console.WriteLine();
        foreach (var (name, _, _) in sides)
        {
            var list = slices[name];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-10} median {Stats.Median(list.Select(s => s.RequestsPerSecond)),6:F0} req/s (spread {Stats.SpreadPercent(list.Select(s => s.RequestsPerSecond).ToArray()):F0}%), CPU {Stats.Median(list.Select(s => s.CpuMicros)):F0} us/req"));
        }

        foreach (var (a, b) in (ReadOnlySpan<(string, string)>)[("gateway", "bare-yarp"), ("baseline", "bare-yarp"), ("gateway", "baseline")])
        {
            var ratios = Enumerable.Range(0, options.Rounds).Select(i => Ratio(slices, a, b, i)).ToArray();
            var cpu = Enumerable.Range(0, options.Rounds).Select(i => slices[a][i].CpuMicros / slices[b][i].CpuMicros).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{a}/{b}: median of the rounds' req/s ratios {Stats.Median(ratios):F2}x (range {ratios.Min():F2}-{ratios.Max():F2}), CPU per request {Stats.Median(cpu):F2}x"));
        }

        return 0;
    }

    private static double Ratio(Dictionary<string, List<(double RequestsPerSecond, double CpuMicros)>> slices, string a, string b, int round) =>
        slices[a][round].RequestsPerSecond / slices[b][round].RequestsPerSecond;

    private sealed record Options(string GatewayDll, string BaselineDll, bool BaselineImageEnvironment, bool Capture, bool Stream, int Connections, int WarmupSeconds, int SliceSeconds, int Rounds)
    {
        public static Options Parse(string[] args)
        {
            var values = new Dictionary<string, string>
            {
                ["--gateway-dll"] = Path.Combine(AppContext.BaseDirectory, "SlmGateway.dll"),
                ["--baseline-env"] = "image",
                ["--capture"] = "on",
                ["--stream"] = "off",
                ["--connections"] = "64",
                ["--warmup-seconds"] = "20",
                ["--slice-seconds"] = "4",
                ["--rounds"] = "10",
            };
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                if (args[i] != "--baseline-dll" && !values.ContainsKey(args[i]))
                {
                    throw new ArgumentException($"Unknown option {args[i]}.");
                }

                values[args[i]] = args[i + 1];
            }

            if (!values.TryGetValue("--baseline-dll", out var baseline))
            {
                throw new ArgumentException("--baseline-dll PATH is required: the build to compare with.");
            }

            int Number(string name) => int.Parse(values[name], CultureInfo.InvariantCulture);
            return new Options(Path.GetFullPath(values["--gateway-dll"]), Path.GetFullPath(baseline), values["--baseline-env"] == "image",
                values["--capture"] == "on", values["--stream"] == "on", Number("--connections"), Number("--warmup-seconds"), Number("--slice-seconds"), Number("--rounds"));
        }
    }
}
