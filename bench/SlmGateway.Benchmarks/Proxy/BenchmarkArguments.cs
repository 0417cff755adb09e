using System.Globalization;

namespace SlmGateway.Benchmarks.Proxy;

internal sealed record BenchmarkArguments(
    int Connections, int WarmupSeconds, int MeasureSeconds, int Repeats, int SequentialRequests, int SoakMinutes, string[] Targets, string GatewayDll)
{
    public static readonly string[] AllTargets = ["direct", "bare-yarp", "yarp-read-body", "yarp-read-chat", "gateway", "gateway-no-capture", "gateway-no-local"];

    public static BenchmarkArguments Parse(string[] args)
    {
        var values = new Dictionary<string, int>
        {
            ["--connections"] = 64,
            ["--warmup-seconds"] = 20,
            ["--measure-seconds"] = 10,
            ["--repeats"] = 3,
            ["--sequential-requests"] = 400,
            ["--soak-minutes"] = 0,
        };
        var targets = AllTargets;
        var gatewayDll = Path.Combine(AppContext.BaseDirectory, "SlmGateway.dll");
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--targets")
            {
                targets = args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (targets.Except(AllTargets).FirstOrDefault() is { } unknown)
                {
                    throw new ArgumentException($"Unknown target {unknown}; use {string.Join(", ", AllTargets)}.");
                }

                continue;
            }

            if (args[i] == "--gateway-dll")
            {
                gatewayDll = Path.GetFullPath(args[i + 1]);
                continue;
            }

            if (!values.ContainsKey(args[i]))
            {
                throw new ArgumentException($"Unknown option {args[i]}.");
            }

            values[args[i]] = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        }

        return new BenchmarkArguments(
            values["--connections"], values["--warmup-seconds"], values["--measure-seconds"],
            values["--repeats"], values["--sequential-requests"], values["--soak-minutes"], targets, gatewayDll);
    }
}
