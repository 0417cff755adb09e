using System.Text.Json;
using System.Text.Json.Serialization;

namespace SlmGateway.Distill;

/// <summary>
/// A distillation job's spec, the engine-neutral interface: the export files in, a GenAI model folder
/// out. Any engine that reads the same spec and writes the same folder (a Kubernetes Job on a GPU node,
/// a provider's fine-tuning service behind an adapter) can run it.
/// </summary>
internal sealed class DistillJob
{
    /// <summary>Training examples, in OpenAI's chat fine-tuning format (what <c>/admin/clusters/{id}/export</c> writes).</summary>
    public string TrainingFile { get; set; } = string.Empty;

    /// <summary>Held-back examples in the same format, answered after training for the report; optional.</summary>
    public string? ValidationFile { get; set; }

    /// <summary>The model folder to write.</summary>
    public string OutputDir { get; set; } = string.Empty;

    public SpecialistShape Shape { get; set; } = new();

    public int Steps { get; set; } = 8000;

    public int BatchSize { get; set; } = 16;

    public double LearningRate { get; set; } = 3e-3;

    public int Seed { get; set; } = 1;

    /// <summary>Training threads; the engine runs at the lowest CPU priority.</summary>
    public int Threads { get; set; } = 2;

    /// <summary>
    /// Models trained side by side from seeds <see cref="Seed"/>, <see cref="Seed"/> + 1, ..., sharing
    /// <see cref="Threads"/> and <see cref="MaxMemoryMb"/>; the one most exact on a selection split cut
    /// from the training examples is kept.
    /// </summary>
    public int Candidates { get; set; } = 1;

    /// <summary>Training stops here and writes what it has.</summary>
    public double MaxSeconds { get; set; } = 1800;

    /// <summary>The engine fails the job past this resident size.</summary>
    public double MaxMemoryMb { get; set; } = 2048;

    /// <summary>The Python interpreter with PyTorch (Debian's <c>python3-torch</c>).</summary>
    public string Python { get; set; } = "python3";

    /// <summary>Intermediate files (the tokenized examples, the raw weights), beside the spec and removed at the end.</summary>
    [JsonIgnore]
    public string ScratchDir { get; private set; } = string.Empty;

    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public static DistillJob Read(string path)
    {
        var job = JsonSerializer.Deserialize<DistillJob>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"{path}: empty job spec.");
        if (job.TrainingFile.Length == 0 || job.OutputDir.Length == 0)
        {
            throw new InvalidDataException($"{path}: training_file and output_dir are required.");
        }

        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        job.TrainingFile = Path.GetFullPath(job.TrainingFile, baseDirectory);
        job.ValidationFile = job.ValidationFile is { } validation ? Path.GetFullPath(validation, baseDirectory) : null;
        job.OutputDir = Path.GetFullPath(job.OutputDir, baseDirectory);
        job.ScratchDir = Path.Combine(baseDirectory, $"{Path.GetFileNameWithoutExtension(path)}.scratch");
        return job;
    }
}

/// <summary>The specialist decoder's size; the vocabulary is the byte-level one of the model generator.</summary>
internal sealed class SpecialistShape
{
    public int HiddenSize { get; set; } = 64;

    public int Layers { get; set; } = 2;

    public int Heads { get; set; } = 2;

    public int KvHeads { get; set; } = 1;

    public int IntermediateSize { get; set; } = 192;

    public int ContextLength { get; set; } = 2048;
}
