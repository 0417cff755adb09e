using System.ComponentModel;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Errors;
using SlmGateway.Conversion.Export;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Diagnostics;
using SlmGateway.Core.Ports;

namespace SlmGateway.Conversion.Distillation;

/// <summary>
/// Runs one distillation job at a time: exports the cluster's training and validation split, starts
/// the job runner as a process of its own at the lowest CPU priority, follows its progress, stops it
/// on cancellation or past <c>MaxDuration</c>, and registers a completed model as a local candidate
/// for the cluster (shadowed on its calls, promoted by the policy like any other). A job that fails
/// or is cancelled leaves nothing behind and the cluster's routing as it was.
/// </summary>
internal sealed partial class DistillationRunner(
    TraceStore store, IOptionsMonitor<LoopOptions> options, ILocalModelRegistration registration, GatewayMetrics metrics, ILogger<DistillationRunner> logger)
    : IHostedService, IDisposable
{
    private const int ExportLimit = 100_000;
    private const int KeptRuns = 20;
    private const string ReportFile = "distill_report.json";
    private static readonly JsonSerializerOptions ReportJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    // What MaxDuration keeps back from training (at most half of it) for starting the engine, writing
    // the model and answering the held-back examples with it: a training stopped at MaxDuration itself
    // was killed before it could write anything.
    private static readonly TimeSpan AfterTraining = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _single = new(1, 1);
    private readonly Lock _lock = new();
    private readonly List<DistillationRun> _runs = [];
    private readonly CancellationTokenSource _stopping = new();

    public IReadOnlyList<DistillationRun> Runs
    {
        get
        {
            lock (_lock)
            {
                return [.. _runs];
            }
        }
    }

    private DistillationRun? Current => Runs.LastOrDefault(run => run.IsRunning);

    public DistillationRun? Find(string id) => Runs.FirstOrDefault(run => run.Id == id);

    /// <summary>Starts a job for the cluster, or says why not: one is running (409), too few examples (400).</summary>
    public async Task<(DistillationRun? Run, GatewayError? Error)> StartAsync(long clusterId, CancellationToken cancellationToken)
    {
        if (!await _single.WaitAsync(0, cancellationToken))
        {
            return (null, new GatewayError(StatusCodes.Status409Conflict, new OpenAiError(
                $"Distillation job {Current?.Id} is running; one job runs at a time.", ErrorTypes.InvalidRequest, null, "distillation_running")));
        }

        try
        {
            var settings = options.CurrentValue.Distillation;
            var calls = await store.ClusterCallsAsync(clusterId, ExportLimit, cancellationToken, trainableOnly: true);
            var (training, validation) = FineTuningExporter.Export(calls.Select(c => (c.RequestJson, c.AnswerJson, c.Route, c.Status, c.RequestHash)), settings.ValidationShare);
            if (training.Count < settings.MinExamples)
            {
                _single.Release();
                return (null, GatewayError.InvalidRequest(
                    $"Cluster {clusterId} has {training.Count} training examples (distinct successful remote calls); distillation needs at least {settings.MinExamples} (Loop:Distillation:MinExamples).",
                    null, "insufficient_examples"));
            }

            var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
            var folder = Path.GetFullPath(Path.Combine(settings.OutputPath, $"cluster-{clusterId}-{stamp}"));
            var work = Directory.CreateDirectory(folder + ".job").FullName;
            await File.WriteAllLinesAsync(Path.Combine(work, "training.jsonl"), training, cancellationToken);
            await File.WriteAllLinesAsync(Path.Combine(work, "validation.jsonl"), validation, cancellationToken);
            var jobFile = Path.Combine(work, "job.json");
            await File.WriteAllTextAsync(jobFile, JobSpec(settings, folder).ToJsonString(), cancellationToken);

            var run = new DistillationRun($"{clusterId}-{stamp}", clusterId, folder);
            lock (_lock)
            {
                _runs.Add(run);
                if (_runs.Count > KeptRuns)
                {
                    _runs.RemoveAt(0);
                }
            }

            LogStarted(logger, run.Id, clusterId, training.Count, validation.Count);
            _ = Task.Run(() => RunAsync(run, work, jobFile, settings), CancellationToken.None);
            return (run, null);
        }
        catch
        {
            _single.Release();
            throw;
        }
    }

    /// <summary>Stops a running job; false when there is no such job running.</summary>
    public bool Cancel(string id)
    {
        if (Find(id) is not { IsRunning: true } run)
        {
            return false;
        }

        run.Cancellation.Cancel();
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var manifest = new SpecialistManifest(options.CurrentValue.Distillation.OutputPath);
        metrics.ObserveDistillation(
            () => Current is { } run ? [new Measurement<long>(run.Step)] : [],
            () => Current is { Loss: { } loss } ? [new Measurement<double>(loss)] : []);
        _ = Task.Run(() => RegisterSaved(manifest), CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _single.Dispose();
    }

    private async Task RunAsync(DistillationRun run, string work, string jobFile, DistillationOptions settings)
    {
        var errors = new List<string>();
        (string State, string? Model, string? Error) outcome = (DistillationStates.Failed, null, "The job ended without a result.");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(run.Cancellation.Token, _stopping.Token);
        stop.CancelAfter(settings.MaxDuration);
        try
        {
            using var process = Process.Start(StartInfo(settings, jobFile)) ?? throw new InvalidOperationException("The job runner could not be started.");
            LowerPriority(process);
            using var kill = stop.Token.Register(() => Kill(process));
            var stderr = CollectAsync(process.StandardError, errors);
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is { } line)
            {
                if (ProgressLine(line) is { } progress)
                {
                    run.Progress(progress);
                }
            }

            await process.WaitForExitAsync(CancellationToken.None);
            await stderr;
            outcome = Conclude(run, process.ExitCode, errors, settings, timedOut: stop.IsCancellationRequested);
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or IOException)
        {
            outcome = (DistillationStates.Failed, null, $"The job runner could not be run: {ex.Message}");
        }
        finally
        {
            // Files first: a job seen as ended has left nothing behind but a completed model.
            TryDelete(work);
            if (outcome.State != DistillationStates.Completed)
            {
                TryDelete(run.Folder);
            }

            run.Finish(outcome.State, outcome.Model, outcome.Error);

            metrics.DistillationJobs.Add(1, new KeyValuePair<string, object?>("outcome", run.State));
            LogFinished(logger, run.Id, run.State, run.Model, run.Error);
            _single.Release();
        }
    }

    /// <summary>How the job ended; a completed one's model is registered for its cluster.</summary>
    private (string State, string? Model, string? Error) Conclude(DistillationRun run, int exitCode, List<string> errors, DistillationOptions settings, bool timedOut)
    {
        if (run.Cancellation.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
            return (DistillationStates.Cancelled, null, "cancelled");
        }

        if (timedOut)
        {
            return (DistillationStates.Failed, null, $"stopped after Loop:Distillation:MaxDuration ({settings.MaxDuration})");
        }

        if (exitCode != 0 || !File.Exists(Path.Combine(run.Folder, ReportFile)))
        {
            return (DistillationStates.Failed, null, run.Error ?? errors.LastOrDefault() ?? $"exit code {exitCode}");
        }

        var name = $"specialist-{run.Id}";
        registration.Add(Specialist(name, run.Folder, run.ClusterId, settings));
        new SpecialistManifest(settings.OutputPath).Add(name, run.Folder, run.ClusterId);
        return (DistillationStates.Completed, name, null);
    }

    private void RegisterSaved(SpecialistManifest manifest)
    {
        IReadOnlyList<(string Name, string Folder, long ClusterId)> saved;
        try
        {
            saved = manifest.Read();
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException or InvalidOperationException)
        {
            LogNotRestored(logger, "specialists.json", ex.Message);
            return;
        }

        foreach (var (name, folder, clusterId) in saved)
        {
            try
            {
                registration.Add(Specialist(name, folder, clusterId, options.CurrentValue.Distillation));
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or JsonException)
            {
                LogNotRestored(logger, name, ex.Message);
            }
        }
    }

    private static LocalModelOptions Specialist(string name, string folder, long clusterId, DistillationOptions settings)
    {
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, ReportFile)));
        return new LocalModelOptions
        {
            Name = name,
            Path = folder,
            Family = "qwen",
            Threads = 1,
            MaxConcurrency = 1,
            MaxOutputTokens = settings.MaxOutputTokens,
            Clusters = [clusterId],
            GroundedFields = report?["grounded_fields"]?.Deserialize<List<string>>() ?? [],
            FieldValues = report?["field_values"]?.Deserialize<List<AnswerFieldValue>>(ReportJson) ?? [],
            DifferentFields = report?["different_fields"]?.Deserialize<List<AnswerFieldPair>>(ReportJson) ?? [],
        };
    }

    private static JsonObject JobSpec(DistillationOptions settings, string folder) => new()
    {
        ["training_file"] = "training.jsonl",
        ["validation_file"] = "validation.jsonl",
        ["output_dir"] = folder,
        ["shape"] = new JsonObject
        {
            ["hidden_size"] = settings.HiddenSize,
            ["layers"] = settings.Layers,
            ["heads"] = settings.HiddenSize / 32,
            ["kv_heads"] = settings.HiddenSize / 64,
            ["intermediate_size"] = settings.HiddenSize * 3,
        },
        ["steps"] = settings.Steps,
        ["batch_size"] = settings.BatchSize,
        ["learning_rate"] = settings.LearningRate,
        ["threads"] = settings.Threads,
        ["candidates"] = settings.Candidates,
        ["max_seconds"] = TrainingTime(settings.MaxDuration).TotalSeconds,
        ["max_memory_mb"] = settings.MaxMemoryMb,
        ["python"] = settings.Python,
    };

    private static TimeSpan TrainingTime(TimeSpan maxDuration) =>
        maxDuration - (maxDuration / 2 < AfterTraining ? maxDuration / 2 : AfterTraining);

    private static ProcessStartInfo StartInfo(DistillationOptions settings, string jobFile)
    {
        var command = settings.Command.Length > 0
            ? settings.Command.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : ["dotnet", Path.Combine(AppContext.BaseDirectory, "slmgw-distill.dll")];
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(jobFile),
        };
        foreach (var argument in command.Skip(1).Concat(["run", "--job", jobFile]))
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static JsonObject? ProgressLine(string line)
    {
        try
        {
            return JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task CollectAsync(StreamReader reader, List<string> lines)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Trim().Length > 0)
            {
                lines.Add(line.Trim());
            }
        }
    }

    /// <summary>Nice 19 from the start; the runner itself then moves to the idle scheduling policy, which the training engine inherits.</summary>
    private static void LowerPriority(Process process)
    {
        try
        {
            process.PriorityClass = ProcessPriorityClass.Idle;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            // The job may have ended already; the runner lowers its own priority too.
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already ended.
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left for the operator: a job's leftovers do not change routing.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Distillation {JobId} started for cluster {ClusterId}: {Training} training and {Validation} validation examples")]
    private static partial void LogStarted(ILogger logger, string jobId, long clusterId, int training, int validation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Distillation {JobId} {State} (model {Model}, error {Error})")]
    private static partial void LogFinished(ILogger logger, string jobId, string state, string? model, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The distilled specialist {Model} could not be served again: {Error}")]
    private static partial void LogNotRestored(ILogger logger, string model, string error);
}
