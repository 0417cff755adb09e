using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;

namespace SlmGateway.Backends.Onnx.Models;

/// <summary>
/// The configured local models and their loading. Models load in the background after start-up
/// (readiness says so); a request for a model still loading waits for it.
/// </summary>
internal sealed class LocalModelRegistry : ILocalModelStatus, IDisposable
{
    private readonly FrozenDictionary<string, Entry> _entries;
    private int _disposed;

    public LocalModelRegistry(IOptions<LocalOptions> options)
    {
        _entries = options.Value.Models.ToFrozenDictionary(
            model => model.Name,
            model => new Entry(model),
            StringComparer.Ordinal);
    }

    public IEnumerable<LocalModelOptions> Configured => _entries.Values.Select(entry => entry.Options);

    public IReadOnlyDictionary<string, LocalModelState> States =>
        _entries.ToDictionary(pair => pair.Key, pair => pair.Value.State, StringComparer.Ordinal);

    public Task<LocalModel>? Find(string name) => _entries.TryGetValue(name, out var entry) ? entry.Loaded.Task : null;

    /// <summary>Loads every model, in configuration order; the first failure is thrown after marking the model failed.</summary>
    public void LoadAll(Action<LocalModelOptions, TimeSpan> loaded)
    {
        foreach (var entry in _entries.Values)
        {
            var started = TimeProvider.System.GetTimestamp();
            try
            {
                var (folder, problem) = ModelFolder.Inspect(entry.Options.Path);
                var model = LocalModel.Load(entry.Options, folder ?? throw new InvalidOperationException(problem));
                entry.Loaded.SetResult(model);
                loaded(entry.Options, TimeProvider.System.GetElapsedTime(started));
            }
            catch (Exception ex)
            {
                entry.Loaded.SetException(ex);
                throw new InvalidOperationException($"The local model '{entry.Options.Name}' could not be loaded from '{entry.Options.Path}' on '{entry.Options.Provider}': {ex.Message}", ex);
            }
        }
    }

    /// <remarks>Registered also as <see cref="ILocalModelStatus"/>, so the container may dispose it twice.</remarks>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        foreach (var entry in _entries.Values)
        {
            if (entry.Loaded.Task.IsCompletedSuccessfully)
            {
                entry.Loaded.Task.Result.Dispose();
            }
        }
    }

    private sealed class Entry(LocalModelOptions options)
    {
        public LocalModelOptions Options { get; } = options;

        public TaskCompletionSource<LocalModel> Loaded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LocalModelState State => Loaded.Task.Status switch
        {
            TaskStatus.RanToCompletion => Ready(Loaded.Task.Result),
            TaskStatus.Faulted => new LocalModelState("failed", 0, 0, 0, 0, 0),
            _ => new LocalModelState("loading", 0, 0, 0, 0, 0),
        };

        private static LocalModelState Ready(LocalModel model) => new(
            "ready", model.Scheduler.Active, model.Scheduler.Queued, model.Counters.Completed, model.Counters.Cancelled, model.Counters.Failed)
        {
            ContextLength = model.ContextLength,
            MaxOutputTokens = model.Options.MaxOutputTokens,
        };
    }
}
