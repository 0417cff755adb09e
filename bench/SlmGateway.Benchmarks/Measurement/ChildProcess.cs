using System.Diagnostics;
using System.Globalization;

namespace SlmGateway.Benchmarks.Measurement;

/// <summary>A measured process, pinned to the given cores.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process) => _process = process;

    public static Task<ChildProcess> StartAsync(string name, Uri healthUrl, string cores, string program, params string[] args) =>
        StartAsync(name, healthUrl, cores, new Dictionary<string, string>(), null, program, args);

    /// <param name="environment">Variables set for the process beyond the benchmark's own.</param>
    /// <param name="workingDirectory">Where it runs; null: the benchmark's own working directory.</param>
    public static async Task<ChildProcess> StartAsync(
        string name, Uri healthUrl, string cores, IReadOnlyDictionary<string, string> environment, string? workingDirectory, string program, params string[] args)
    {
        // taskset pins from the first instruction, so the runtime sizes its thread pool and GC for those cores.
        var info = new ProcessStartInfo("taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(cores);
        info.ArgumentList.Add(program);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Benchmark";
        foreach (var (variable, value) in environment)
        {
            info.Environment[variable] = value;
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {name}.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"[{name}] {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            try
            {
                using var response = await client.GetAsync(healthUrl);
                if (response.IsSuccessStatusCode)
                {
                    return new ChildProcess(process);
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException($"{name} did not become healthy at {healthUrl}.");
    }

    /// <summary>Resident set size in MiB, from /proc.</summary>
    public double RssMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb / 1024.0;
            }
        }

        return double.NaN;
    }

    /// <summary>User plus system CPU time the process has used, from /proc (clock ticks of 10 ms).</summary>
    public TimeSpan CpuTime()
    {
        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
