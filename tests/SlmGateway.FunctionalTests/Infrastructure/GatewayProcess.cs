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
}
