using System.Globalization;
using System.Text.Json.Nodes;

namespace SlmGateway.Conversion.Distillation;

/// <summary>One distillation job as the admin API and the metrics see it; updated from the runner's progress lines.</summary>
internal sealed class DistillationRun(string id, long clusterId, string folder)
{
    private readonly Lock _lock = new();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private JsonObject? _report;

    public string Id { get; } = id;

    public long ClusterId { get; } = clusterId;

    /// <summary>The specialist's model folder (also its work folder while the job runs).</summary>
    public string Folder { get; } = folder;

    public CancellationTokenSource Cancellation { get; } = new();

    public string State { get; private set; } = DistillationStates.Running;

    public string Stage { get; private set; } = "export";

    public int Step { get; private set; }

    public int Steps { get; private set; }

    public double? Loss { get; private set; }

    public string? Model { get; private set; }

    public string? Error { get; private set; }

    public bool IsRunning => State == DistillationStates.Running;

    /// <summary>Takes one progress line of the runner: its stage, and for training the step, steps and loss.</summary>
    public void Progress(JsonObject line)
    {
        lock (_lock)
        {
            Stage = line["stage"]?.GetValue<string>() ?? Stage;
            Step = line["step"]?.GetValue<int>() ?? Step;
            Steps = line["steps"]?.GetValue<int>() ?? Steps;
            Loss = line["loss"]?.GetValue<double>() ?? Loss;
            if (Stage == "done")
            {
                _report = line;
            }
            else if (Stage == "failed")
            {
                Error = line["error"]?.GetValue<string>();
            }
        }
    }

    public void Finish(string state, string? model = null, string? error = null)
    {
        lock (_lock)
        {
            State = state;
            Model = model ?? Model;
            Error = error ?? Error;
        }
    }

    public JsonObject ToJson()
    {
        lock (_lock)
        {
            return new JsonObject
            {
                ["id"] = Id,
                ["cluster"] = ClusterId,
                ["state"] = State,
                ["stage"] = Stage,
                ["step"] = Step,
                ["steps"] = Steps,
                ["loss"] = Loss,
                ["elapsed_s"] = Math.Round((DateTimeOffset.UtcNow - _startedAt).TotalSeconds, 1),
                ["started_at"] = _startedAt.ToString("O", CultureInfo.InvariantCulture),
                ["model"] = Model,
                ["error"] = Error,
                ["report"] = _report?.DeepClone(),
            };
        }
    }
}

internal static class DistillationStates
{
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}
