using System.Numerics.Tensors;
using Microsoft.Extensions.Options;
using SlmGateway.Conversion.Store;

namespace SlmGateway.Conversion.Clustering;

/// <summary>
/// Task clusters in memory, grown online without a preset number: a task joins the nearest cluster of
/// its key whose centre has a cosine similarity of at least <c>Clustering:Similarity</c> with it (the
/// centre moves to the running mean), else it starts a new one. The writer changes it; routing reads
/// an immutable view.
/// </summary>
internal sealed class ClusterIndex(IOptionsMonitor<LoopOptions> options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, Entry> _entries = [];
    private volatile ClusterView[] _view = [];

    public IReadOnlyList<ClusterView> View => _view;

    /// <summary>The highest cluster id known here: clusters the store has above it were started by others since.</summary>
    public long NewestId
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count == 0 ? 0 : _entries.Keys.Max();
            }
        }
    }

    /// <summary>True when some cluster is promoted or demoted, so routing has a reason to look.</summary>
    public bool AnyDecided => _view.Any(c => c.State != ClusterStates.Observed);

    /// <summary>The nearest cluster of the key close enough to join, from the current view.</summary>
    public ClusterView? Nearest(string key, float[] embedding)
    {
        var bar = options.CurrentValue.Clustering.Similarity;
        ClusterView? best = null;
        var bestSimilarity = float.MinValue;
        foreach (var cluster in _view)
        {
            if (!string.Equals(cluster.Key, key, StringComparison.Ordinal))
            {
                continue;
            }

            var similarity = TensorPrimitives.Dot(cluster.Centroid, embedding);
            if (similarity >= bar && similarity > bestSimilarity)
            {
                (best, bestSimilarity) = (cluster, similarity);
            }
        }

        return best;
    }

    public void Join(long id, float[] embedding)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out var entry))
            {
                return;
            }

            var weight = 1f / (entry.Size + 1);
            TensorPrimitives.Multiply(entry.Centroid, 1 - weight, entry.Centroid);
            TensorPrimitives.MultiplyAdd(embedding, weight, entry.Centroid, entry.Centroid);
            TensorPrimitives.Divide(entry.Centroid, TensorPrimitives.Norm(entry.Centroid), entry.Centroid);
            entry.Size++;
            entry.Dirty = true;
        }
    }

    /// <summary>
    /// Takes the store's clusters (other replicas' and the admin's changes included), keeping the
    /// centres this replica moved and has not written yet.
    /// </summary>
    public void Load(IEnumerable<ClusterRow> rows)
    {
        lock (_lock)
        {
            foreach (var row in rows)
            {
                if (_entries.TryGetValue(row.Id, out var entry) && entry.Dirty)
                {
                    (entry.State, entry.Model) = (row.State, row.Model);
                }
                else
                {
                    _entries[row.Id] = new Entry(row.Id, row.Key, row.Centroid, row.Size, row.State, row.Model);
                }
            }

            Publish();
        }
    }

    public void SetState(long id, string state, string? model)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(id, out var entry))
            {
                (entry.State, entry.Model) = (state, model);
                Publish();
            }
        }
    }

    public void Add(ClusterRow row)
    {
        lock (_lock)
        {
            _entries[row.Id] = new Entry(row.Id, row.Key, row.Centroid, row.Size, row.State, row.Model);
            Publish();
        }
    }

    /// <summary>The clusters whose centres moved since the last call, and a new view for routing.</summary>
    public List<(long Id, float[] Centroid, long Size)> TakeMoved()
    {
        lock (_lock)
        {
            var moved = _entries.Values.Where(e => e.Dirty).Select(e => (e.Id, e.Centroid.ToArray(), e.Size)).ToList();
            foreach (var entry in _entries.Values)
            {
                entry.Dirty = false;
            }

            Publish();
            return moved;
        }
    }

    private void Publish() =>
        _view = _entries.Values.Select(e => new ClusterView(e.Id, e.Key, e.Centroid.ToArray(), e.State, e.Model)).ToArray();

    private sealed class Entry(long id, string key, float[] centroid, long size, string state, string? model)
    {
        public long Id { get; } = id;
        public string Key { get; } = key;
        public float[] Centroid { get; } = centroid;
        public long Size { get; set; } = size;
        public string State { get; set; } = state;
        public string? Model { get; set; } = model;
        public bool Dirty { get; set; }
    }
}

/// <summary>A cluster as routing sees it.</summary>
internal sealed record ClusterView(long Id, string Key, float[] Centroid, string State, string? Model);
