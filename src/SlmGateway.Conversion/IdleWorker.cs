using System.Threading.Channels;

namespace SlmGateway.Conversion;

/// <summary>
/// Runs work handed to it, one piece at a time, on a <see cref="BackgroundThread"/> of the idle
/// policy, for a loop at the normal policy whose work is bounded except for this part. The work is
/// synchronous, so that none of the caller's continuations comes to run at the idle policy.
/// </summary>
internal sealed class IdleWorker
{
    private readonly Channel<Action> _work = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });

    public IdleWorker(string name, CancellationToken stopping) =>
        _ = BackgroundThread.RunAsync(name, BackgroundPriority.Idle, () => RunHandedWorkAsync(stopping), stopping);

    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _work.Writer.WriteAsync(
            () =>
            {
                try
                {
                    done.SetResult(work());
                }
                catch (Exception ex)
                {
                    done.SetException(ex);
                }
            },
            cancellationToken);
        return await done.Task.WaitAsync(cancellationToken);
    }

    private async Task RunHandedWorkAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (var work in _work.Reader.ReadAllAsync(stopping))
            {
                work();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped: whoever handed work in waits with the same token and has stopped waiting.
        }
    }
}
