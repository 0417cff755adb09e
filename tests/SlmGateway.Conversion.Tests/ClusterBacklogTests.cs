using SlmGateway.Conversion.Capture;

namespace SlmGateway.Conversion.Tests;

/// <summary>The capture writer's clustering backlog: one entry per distinct task, repeats by id, bounded in both.</summary>
public sealed class ClusterBacklogTests
{
    [Fact]
    public void RepeatsOfATask_WaitAsIds_AndAllTakeTheFirstCallsEntry()
    {
        var backlog = new ClusterBacklog(maxTasks: 4, maxCalls: 100);
        var first = Call("task-a");

        Assert.Equal(0, backlog.Add(1, first));
        Assert.Equal(0, backlog.Add(2, Call("task-b")));
        Assert.Equal(0, backlog.Add(3, Call("task-a")));
        Assert.Equal(0, backlog.Add(4, Call("task-a")));

        Assert.Equal(4, backlog.Calls);
        Assert.True(backlog.TryTake(out var call, out var ids));
        Assert.Same(first, call);
        Assert.Equal([1L, 3L, 4L], ids);
        Assert.True(backlog.TryTake(out _, out ids));
        Assert.Equal([2L], ids);
        Assert.False(backlog.TryTake(out _, out _));
        Assert.Equal(0, backlog.Calls);
    }

    [Fact]
    public void BeyondItsTasks_TheOldestTaskIsLetGo_WithAllItsCalls()
    {
        var backlog = new ClusterBacklog(maxTasks: 2, maxCalls: 100);
        backlog.Add(1, Call("task-a"));
        backlog.Add(2, Call("task-a"));
        backlog.Add(3, Call("task-b"));

        Assert.Equal(2, backlog.Add(4, Call("task-c")));

        Assert.Equal(2, backlog.Calls);
        Assert.True(backlog.TryTake(out var call, out _));
        Assert.Equal("task-b", call.Record.RequestHash);
    }

    [Fact]
    public void BeyondItsCalls_TheOldestTaskIsLetGo()
    {
        var backlog = new ClusterBacklog(maxTasks: 10, maxCalls: 3);
        backlog.Add(1, Call("task-a"));
        backlog.Add(2, Call("task-b"));
        backlog.Add(3, Call("task-b"));

        Assert.Equal(1, backlog.Add(4, Call("task-b")));

        Assert.Equal(3, backlog.Calls);
        Assert.True(backlog.TryTake(out _, out var ids));
        Assert.Equal([2L, 3L, 4L], ids);
    }

    [Fact]
    public void ATasksCallsOnAnotherRouteOrStatus_WaitApart()
    {
        var backlog = new ClusterBacklog(maxTasks: 10, maxCalls: 100);
        backlog.Add(1, Call("task-a", route: "local"));
        backlog.Add(2, Call("task-a"));
        backlog.Add(3, Call("task-a", status: 502));
        backlog.Add(4, Call("task-a"));

        Assert.True(backlog.TryTake(out var call, out var ids));
        Assert.Equal("local", call.Record.Route);
        Assert.Equal([1L], ids);
        Assert.True(backlog.TryTake(out call, out ids));
        Assert.Equal("remote", call.Record.Route);
        Assert.Equal([2L, 4L], ids);
        Assert.True(backlog.TryTake(out call, out ids));
        Assert.Equal(502, call.Record.Status);
        Assert.Equal([3L], ids);
    }

    private static ProcessedCall Call(string task, string route = "remote", int status = 200)
    {
        var call = CallProcessor.MetadataOnly(new CapturedCall(DateTimeOffset.UtcNow, null, "gpt-4o-mini", route, "explicit_model", status, 10, 5, 3, null, false, null, null));
        return call with { Record = call.Record with { RequestHash = task }, TaskKey = "chat" };
    }
}
