using System.Runtime.InteropServices;

namespace SlmGateway.Benchmarks.Measurement;

/// <summary>
/// Keeps the benchmark's own process (load generator and fake upstream) off the measured proxy's core.
/// Setting <see cref="System.Diagnostics.Process.ProcessorAffinity"/> pins only the thread that sets it:
/// the runtime's threads started before (tiered compilation among them) went on compiling the load
/// generator on the proxy's core, a few milliseconds at a time. Every thread is pinned here, and those
/// started later inherit it from the thread that starts them.
/// </summary>
internal static partial class DriverPinning
{
    public static void PinEveryThread(int core)
    {
        if (!OperatingSystem.IsLinux() || Environment.ProcessorCount <= core)
        {
            return;
        }

        var mask = 1UL << core;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (int.TryParse(Path.GetFileName(task), out var threadId))
            {
                _ = SetAffinity(threadId, sizeof(ulong), ref mask);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "sched_setaffinity")]
    private static partial int SetAffinity(int threadId, nint size, ref ulong mask);
}
