using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SlmGateway.Distill;

/// <summary>
/// Puts the job, and the training engine it starts, at the bottom of the scheduler: Linux's idle
/// policy where it can (what the gateway's capture writer runs under, so a job does not starve
/// capture the way a nice-19 process would), else nice 19. Both are inherited by child processes.
/// </summary>
internal static partial class IdlePriority
{
    private const int CallingThread = 0;
    private const int SchedIdle = 5;

    public static void Lower()
    {
        Process.GetCurrentProcess().PriorityClass = ProcessPriorityClass.Idle;
        if (OperatingSystem.IsLinux())
        {
            var param = 0;
            _ = SetScheduler(CallingThread, SchedIdle, ref param);
        }
    }

    [LibraryImport("libc", EntryPoint = "sched_setscheduler")]
    private static partial int SetScheduler(int pid, int policy, ref int param);
}
