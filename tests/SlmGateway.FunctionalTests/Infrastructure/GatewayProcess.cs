using System.Diagnostics;

namespace SlmGateway.FunctionalTests.Infrastructure;

/// <summary>The built gateway started as its own process, for start-up behaviour that an in-process host hides.</summary>
public static class GatewayProcess
{
    /// <summary>Starts the gateway with command-line settings and no appsettings file; returns how it exited and what it printed.</summary>
    public static async Task<(int? ExitCode, string Output)> RunAsync(TimeSpan limit, params string[] settings)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SlmGateway.dll"));
        info.ArgumentList.Add("--Urls=http://127.0.0.1:0");
        foreach (var setting in settings)
        {
            info.ArgumentList.Add(setting);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (null, await stdout + await stderr);
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Starts the gateway on a free port and waits until <c>/healthz</c> answers.</summary>
    public static async Task<RunningGateway> StartAsync(params string[] settings)
    {
        var port = FreePort.Next();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SlmGateway.dll"));
        info.ArgumentList.Add($"--Urls=http://127.0.0.1:{port}");
        foreach (var setting in settings)
        {
            info.ArgumentList.Add(setting);
        }

        var gateway = new RunningGateway(Process.Start(info)!, new Uri($"http://127.0.0.1:{port}"));
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };
        for (var attempt = 0; attempt < 300; attempt++)
        {
            try
            {
                using var health = await client.GetAsync("/healthz");
                return gateway;
            }
            catch (HttpRequestException) when (!gateway.Process.HasExited)
            {
                await Task.Delay(100);
            }
        }

        await gateway.DisposeAsync();
        throw new TimeoutException("The gateway process did not answer /healthz within 30 s.");
    }
}

/// <summary>A gateway process started by a test: its address, a way to send it SIGTERM, and everything it printed.</summary>
public sealed class RunningGateway : IAsyncDisposable
{
    private readonly System.Text.StringBuilder _output = new();

    public RunningGateway(Process process, Uri baseAddress)
    {
        (Process, BaseAddress) = (process, baseAddress);
        process.OutputDataReceived += (_, line) => Append(line.Data);
        process.ErrorDataReceived += (_, line) => Append(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public Uri BaseAddress { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>What a container runtime or Kubernetes sends to stop it.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
