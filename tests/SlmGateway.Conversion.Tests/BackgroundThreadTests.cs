namespace SlmGateway.Conversion.Tests;

/// <summary>
/// Runs alone, with the other tests that read a thread's policy: a background thread that stops
/// raises every idle-policy thread of the process (so that its work ends in time), which would raise
/// the idle worker under test if another class's thread stopped while its policy is read.
/// </summary>
[Collection(Name)]
public sealed class BackgroundThreadTests
{
    public const string Name = "thread scheduling policy";

    [Fact]
    public async Task NormalThread_HandsWorkToItsIdleWorker_AndGetsTheResultBackOnItsOwnPolicy()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var worker = new IdleWorker("test-idle", stopping.Token);
        var seen = new List<(string Where, int Thread, int Policy)>();

        await BackgroundThread.RunAsync(
            "test-normal",
            BackgroundPriority.Normal,
            async () =>
            {
                seen.Add(("before", Environment.CurrentManagedThreadId, ThreadPolicy.OfThisThread()));
                var handed = await worker.RunAsync(() => (Environment.CurrentManagedThreadId, ThreadPolicy.OfThisThread()), stopping.Token);
                seen.Add(("idle worker", handed.Item1, handed.Item2));
                seen.Add(("after", Environment.CurrentManagedThreadId, ThreadPolicy.OfThisThread()));
            },
            stopping.Token);

        Assert.Equal([("before", ThreadPolicy.Other), ("idle worker", ThreadPolicy.Idle), ("after", ThreadPolicy.Other)], seen.Select(s => (s.Where, s.Policy)));
        Assert.Equal(seen[0].Thread, seen[2].Thread);
        Assert.NotEqual(seen[0].Thread, seen[1].Thread);
        await stopping.CancelAsync();
    }

    [Fact]
    public async Task IdleWorker_PassesTheWorksFailureToWhoHandedItIn_AndKeepsWorking()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var worker = new IdleWorker("test-idle", stopping.Token);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.RunAsync<int>(() => throw new InvalidOperationException("bad task"), stopping.Token));

        Assert.Equal("bad task", failure.Message);
        Assert.Equal(42, await worker.RunAsync(() => 42, stopping.Token));
        await stopping.CancelAsync();
    }

    [Fact]
    public async Task IdleWorker_Stopped_ReleasesWhoWaits()
    {
        using var stopping = new CancellationTokenSource();
        var worker = new IdleWorker("test-idle", stopping.Token);
        using var held = new ManualResetEventSlim();
        var waiting = worker.RunAsync(() => held.Wait(TimeSpan.FromMinutes(1)), stopping.Token);

        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        held.Set();
    }
}

[CollectionDefinition(BackgroundThreadTests.Name, DisableParallelization = true)]
public sealed class ThreadPolicyCollection;
