using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Ports;

namespace SlmGateway.Backends.Onnx.Models;

/// <summary>
/// The local models and their loading. Configured models load in the background after start-up
/// (readiness says so); a request for a model still loading waits for it. Models added later (task
/// specialists) are loaded before they become visible.
/// </summary>
internal sealed class LocalModelRegistry : ILocalModelStatus, ILocalModelRegistration, IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<LocalModelOptions> _configured;
    private readonly Lock _adding = new();
    private volatile LocalModelOptions[] _added = [];
    private int _disposed;

    public LocalModelRegistry(IOptions<LocalOptions> options)
    {
        _configured = options.Value.Models;
        foreach (var model in _configured)
        {
            _entries[model.Name] = new Entry(model);
        }
    }

    public event Action? Changed;

    public IEnumerable<LocalModelOptions> Configured => _configured;

    public IReadOnlyList<LocalModelOptions> Added => _added;

    public IReadOnlyDictionary<string, LocalModelState> States =>
        _entries.ToDictionary(pair => pair.Key, pair => pair.Value.State, StringComparer.Ordinal);

    public Task<LocalModel>? Find(string name) => _entries.TryGetValue(name, out var entry) ? entry.Loaded.Task : null;

    public void Add(LocalModelOptions model)
    {
        lock (_adding)
        {
            if (_entries.ContainsKey(model.Name))
            {
                throw new InvalidOperationException($"A local model named '{model.Name}' is already served.");
            }

            var (folder, problem) = ModelFolder.Inspect(model.Path);
            var entry = new Entry(model);
            entry.Loaded.SetResult(LocalModel.Load(model, folder ?? throw new InvalidOperationException(problem)));
            _entries[model.Name] = entry;
            _added = [.. _added, model];
        }

        Changed?.Invoke();
    }

    /// <summary>Loads every configured model, in configuration order; the first failure is thrown after marking the model failed.</summary>
    public void LoadAll(Action<LocalModelOptions, TimeSpan> loaded)
    {
        foreach (var entry in _configured.Select(model => _entries[model.Name]))
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
