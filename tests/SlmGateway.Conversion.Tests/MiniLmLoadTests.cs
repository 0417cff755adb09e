using SlmGateway.Routing.Semantic;

namespace SlmGateway.Conversion.Tests;

[Collection(BackgroundThreadTests.Name)]
public sealed class MiniLmLoadTests
{
    private const string IdleThreadName = "test-idle-load";

    [Fact]
    public async Task FirstEmbedding_OnAnIdlePolicyThread_LeavesNoModelThreadAtTheIdlePolicy()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var worker = new IdleWorker(IdleThreadName, stopping.Token);
        Assert.Equal(ThreadPolicy.Idle, await worker.RunAsync(ThreadPolicy.OfThisThread, stopping.Token));
        var before = ThreadPolicy.Threads();
        using var embedder = new GuardedEmbedder(threads: 2);

        var embedding = await worker.RunAsync(() => embedder.Embed("where is my parcel?"), stopping.Token);

        // ONNX Runtime's intra-op threads are native: started from the idle thread, they would carry its name and policy.
        var startedAtIdle = ThreadPolicy.Threads().Except(before)
            .Where(thread => ThreadPolicy.NameOf(thread) == IdleThreadName && ThreadPolicy.Of(thread) == ThreadPolicy.Idle)
            .ToList();
        Assert.Equal(MiniLmEmbedder.Dimensions, embedding.Length);
        Assert.Empty(startedAtIdle);
        await stopping.CancelAsync();
    }
}
