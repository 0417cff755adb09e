using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace SlmGateway.Conversion;

/// <summary>
/// Runs the loop's background work on a thread of its own, with every continuation brought back to
/// that thread, at the normal policy or at the lowest scheduling priority (the idle policy on Linux):
/// when requests and idle-policy work want the same cores, requests win, and the loop's queues fill
/// and drop instead. The idle policy has a price: a garbage collection must stop every thread at a
/// safe point, and waits for an idle-policy thread caught in managed code until the core is free for
/// it (capture's writer at the idle policy doubled the collections' pauses, 12.9-15.9 against
/// 8.5-8.9 ms a second under load, and took one-at-a-time p99 from 0.49-0.52 to 1.21-1.44 ms). Once
/// the host stops, the thread and those it started go back to the normal policy where the process
/// may raise them (root or CAP_SYS_NICE), so that what is left to write is written within the stop's
/// bound on busy cores.
/// </summary>
internal static partial class BackgroundThread
{
    private const int PriorityOfProcess = 0;
    private const int LowestPriority = 19;
    private const int CallingThread = 0;
    private const int SchedOther = 0;
    private const int SchedIdle = 5;

    public static Task RunAsync(string name, BackgroundPriority priority, Func<Task> work, CancellationToken stopping)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            if (priority == BackgroundPriority.Idle)
            {
                Lower();
            }

            using var raise = stopping.Register(Raise);
            using var context = new SingleThreadContext();
            SynchronizationContext.SetSynchronizationContext(context);
            var task = work();
            task.ContinueWith(_ => context.Complete(), TaskScheduler.Default);
            context.Run();
            if (task.Exception is { } failure)
            {
                completion.SetException(failure.InnerExceptions);
            }
            else
            {
                completion.SetResult();
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return completion.Task;
    }

    private static void Lower()
    {
        if (OperatingSystem.IsLinux())
        {
            // SCHED_IDLE rather than only nice 19: a request thread that wakes preempts an idle-policy
            // thread at once, where a nice-19 one kept the core for up to a scheduler slice (one-at-a-time
            // p99 5-7 ms with capture on, 0.3 ms without). Both are the thread's own and need no privilege.
            var param = 0;
            if (SetScheduler(CallingThread, SchedIdle, ref param) != 0)
            {
                _ = SetPriority(PriorityOfProcess, GetThreadId(), LowestPriority);
            }
        }
        else
        {
            Thread.CurrentThread.Priority = ThreadPriority.Lowest;
        }
    }

    /// <summary>
    /// Every thread of the process at the idle policy goes back to the normal one: the background
    /// thread itself and the threads it started, which inherited its policy (ONNX Runtime's pool of a
    /// model it loaded, say), so that an embedding it has begun ends in time.
    /// </summary>
    private static void Raise()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (int.TryParse(Path.GetFileName(task), out var threadId) && GetScheduler(threadId) == SchedIdle)
            {
                var param = 0;
                _ = SetScheduler(threadId, SchedOther, ref param);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "sched_getscheduler")]
    private static partial int GetScheduler(int pid);

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "sched_setscheduler")]
    private static partial int SetScheduler(int pid, int policy, ref int param);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();

    /// <summary>Runs posted continuations on the thread that calls <see cref="Run"/>, until completed.</summary>
    private sealed class SingleThreadContext : SynchronizationContext, IDisposable
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];

        public override void Post(SendOrPostCallback d, object? state)
        {
            try
            {
                _queue.Add((d, state));
            }
            catch (InvalidOperationException)
            {
                // Completed: the work has ended, and so has anything still posted to it.
            }
        }

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("The background thread takes posted work only.");

        public void Run()
        {
            foreach (var (callback, state) in _queue.GetConsumingEnumerable())
            {
                callback(state);
            }
        }

        public void Complete() => _queue.CompleteAdding();

        public void Dispose() => _queue.Dispose();
    }
}
