namespace SlmGateway.Conversion.Capture;

/// <summary>
/// Written calls whose task cluster is still to be worked out, held once per distinct task, route and
/// status: the first such call keeps its parsed forms (what clustering and shadow evaluation need),
/// later ones only their ids, and all take the cluster worked out for the first. (Route and status
/// stay apart because shadow evaluation takes only successful remote calls.) Agents resend the
/// same steps, so under load most calls are repeats: held one by one, a burst filled the backlog
/// with copies of one task and the rest were written without a cluster. Bounded in tasks (each holds
/// a parsed request and answer) and in calls; beyond either, the oldest task's calls are let go.
/// </summary>
internal sealed class ClusterBacklog(int maxTasks, int maxCalls)
{
    private readonly Queue<string> _order = new();
    private readonly Dictionary<string, (ProcessedCall Call, List<long> Ids)> _byTask = new(StringComparer.Ordinal);

    /// <summary>Calls waiting, repeats included.</summary>
    public int Calls { get; private set; }

    /// <summary>Holds a written call (one with a task hash); returns how many calls were let go to make room.</summary>
    public int Add(long id, ProcessedCall call)
    {
        var hash = call.Record.RequestHash ?? throw new ArgumentException("A call without a task hash has no cluster to wait for.", nameof(call));
        var task = $"{call.Record.Route}\u001f{call.Record.Status}\u001f{hash}";
        var letGo = 0;
        if (_byTask.TryGetValue(task, out var waiting))
        {
            waiting.Ids.Add(id);
        }
        else
        {
            if (_order.Count >= maxTasks)
            {
                letGo += LetOldestGo();
            }

            _order.Enqueue(task);
            _byTask[task] = (call, [id]);
        }

        Calls++;
        while (Calls > maxCalls)
        {
            letGo += LetOldestGo();
        }

        return letGo;
    }

    /// <summary>The oldest task waiting: its first call (parsed) and the ids of all its calls.</summary>
    public bool TryTake(out ProcessedCall call, out List<long> ids)
    {
        if (!_order.TryDequeue(out var task))
        {
            (call, ids) = (null!, null!);
            return false;
        }

        (call, ids) = _byTask[task];
        _byTask.Remove(task);
        Calls -= ids.Count;
        return true;
    }

    private int LetOldestGo() => TryTake(out _, out var ids) ? ids.Count : 0;
}
