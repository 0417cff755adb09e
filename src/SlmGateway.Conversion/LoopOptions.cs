namespace SlmGateway.Conversion;

/// <summary>The conversion loop, bound from <c>SlmGateway:Loop</c>: capture, redaction, clustering, shadow evaluation, promotion.</summary>
public sealed class LoopOptions
{
    public const string Section = "SlmGateway:Loop";

    public CaptureOptions Capture { get; set; } = new();

    public RedactionOptions Redaction { get; set; } = new();

    public ClusteringOptions Clustering { get; set; } = new();

    public ShadowOptions Shadow { get; set; } = new();

    public PromotionOptions Promotion { get; set; } = new();

    public DistillationOptions Distillation { get; set; } = new();
}

public sealed class CaptureOptions
{
    /// <summary>Record chat completions to the trace store; per-key entries in <see cref="Keys"/> override it.</summary>
    public bool Enabled { get; set; }

    /// <summary><c>sqlite</c> (one file, the default) or <c>postgres</c> (a store several replicas share).</summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>
    /// Share of the calls to capture, drawn per call. Capture's work (copying, redaction, embedding,
    /// storing) is per call: at high volume a sample carries the same tasks for less.
    /// </summary>
    public double SampleRate { get; set; } = 1;

    /// <summary>
    /// Calls captured per second at most (a token bucket holding one second's worth); calls over it
    /// are left out and counted as sampled out, so under saturation capture costs a bounded share of
    /// the CPU. 0: no limit. The default keeps every call of a busy agent fleet (the reliability soak
    /// runs at about 185 calls/s).
    /// </summary>
    public int MaxCallsPerSecond { get; set; } = 250;

    /// <summary>A Microsoft.Data.Sqlite or Npgsql connection string.</summary>
    public string ConnectionString { get; set; } = "Data Source=data/slmgw-traces.db";

    /// <summary>Calls waiting to be written; a call arriving when it is full is dropped and counted.</summary>
    public int QueueLength { get; set; } = 4096;

    public int BatchSize { get; set; } = 64;

    /// <summary>
    /// How long the writer lets calls gather once one waits, unless a whole batch is there already: one
    /// transaction for many calls instead of one each (a call is in the store this much later). 0 writes
    /// each call as it comes.
    /// </summary>
    public TimeSpan BatchWait { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Request or response bodies over this size are not kept (the call's metadata is).</summary>
    public int MaxBodyBytes { get; set; } = 1 << 20;

    /// <summary>Capture on or off by client key id, over <see cref="Enabled"/>.</summary>
    public Dictionary<string, bool> Keys { get; set; } = [];

    /// <summary>Records older than this are deleted; 0 keeps them.</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>Keep the bodies of failed calls (status 400 and over); by default only their metadata is kept.</summary>
    public bool KeepFailedBodies { get; set; }

    /// <summary>How often clusters and their states are re-read from the store (other replicas' changes).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether <c>/readyz</c> answers 503 while the trace store fails. Off by default: a shared store
    /// that is down would otherwise take every replica out of service for want of a record.
    /// </summary>
    public bool RequiredForReadiness { get; set; }
}

public sealed class RedactionOptions
{
    /// <summary>More patterns to redact, by name: each match becomes <c>[NAME]</c>.</summary>
    public Dictionary<string, string> Patterns { get; set; } = [];

    /// <summary>
    /// Regions (ISO 3166 codes) whose national phone number formats are looked for, besides numbers in
    /// international form; empty: a broad default list of 50 regions.
    /// </summary>
    public List<string> PhoneRegions { get; set; } = [];
}

public sealed class ClusteringOptions
{
    /// <summary>
    /// Cosine similarity to a cluster's centre (of the same tools or output kind) at which a task joins
    /// it; below it, a new cluster starts. 0.5 kept 94% of the development data's tool families whole
    /// (<c>cluster-eval</c> in the benchmarks); higher splits an agent's tasks more finely.
    /// </summary>
    public double Similarity { get; set; } = 0.5;
}

public sealed class ShadowOptions
{
    /// <summary>Share of remotely served chat completions that local candidates also answer, off the request path.</summary>
    public double SampleRate { get; set; } = 0.1;

    /// <summary>Local models to evaluate; empty means every local model that lists the request's task.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>Share of wall time shadow generation may take (it also runs only while the model is idle).</summary>
    public double CpuBudget { get; set; } = 0.25;

    public int QueueLength { get; set; } = 64;

    /// <summary>Cosine similarity of two free-text answers at which they count as agreeing.</summary>
    public double TextAgreement { get; set; } = 0.85;
}

public sealed class PromotionOptions
{
    /// <summary>Promote and demote clusters automatically; off, only the admin API changes them.</summary>
    public bool Automatic { get; set; } = true;

    /// <summary>Shadow agreement a cluster needs to be promoted to a local model.</summary>
    public double Agreement { get; set; } = 0.9;

    /// <summary>Shadow samples a cluster needs before its agreement counts.</summary>
    public int MinSamples { get; set; } = 20;

    /// <summary>Share of a promoted cluster's local answers escalated to remote at which it is demoted.</summary>
    public double DemoteEscalationRate { get; set; } = 0.3;

    /// <summary>Live local answers a promoted cluster needs before its escalation rate counts.</summary>
    public int MinLiveSamples { get; set; } = 10;

    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Distillation jobs: a task specialist trained on a cluster's exported remote answers, by a job
/// runner in a process of its own (<c>slmgw-distill</c> with PyTorch by default), then registered as a
/// local candidate for the cluster.
/// </summary>
public sealed class DistillationOptions
{
    /// <summary>
    /// The job runner: an executable and its leading arguments, to which <c>run --job SPEC</c> is
    /// appended. Empty: <c>dotnet slmgw-distill.dll</c> from the gateway's own folder.
    /// </summary>
    public string Command { get; set; } = string.Empty;

    /// <summary>Where specialists' model folders and the jobs' work files are written.</summary>
    public string OutputPath { get; set; } = "data/specialists";

    /// <summary>The Python interpreter with PyTorch that the default runner trains with.</summary>
    public string Python { get; set; } = "python3";

    /// <summary>Exported training examples a cluster needs before a job starts.</summary>
    public int MinExamples { get; set; } = 50;

    /// <summary>Share of the cluster's tasks held back from training and answered by the result, for its report.</summary>
    public double ValidationShare { get; set; } = 0.1;

    /// <summary>
    /// Training steps of <see cref="BatchSize"/> examples. Copying values from the ask into the answer
    /// (ids, names, cities) is what takes the steps: in the distill-replay benchmark's run 7 (copied
    /// values made up afresh, weighted, and the copy drill beside them) weather, order status and unit
    /// conversion were exact on 37/37, 49/49 and 50/53 held-back asks after 8,000 (11-13 minutes each
    /// on 2 cores).
    /// </summary>
    public int Steps { get; set; } = 8000;

    public int BatchSize { get; set; } = 16;

    public double LearningRate { get; set; } = 3e-3;

    /// <summary>The specialist's width (heads of 32, pairs sharing keys) and depth; the default trains 8,000 steps of a tool-call task in 11-13 minutes on 2 cores.</summary>
    public int HiddenSize { get; set; } = 64;

    public int Layers { get; set; } = 2;

    /// <summary>Training threads (shared by the candidates); the job runs at the lowest CPU priority, so requests win a busy core.</summary>
    public int Threads { get; set; } = 2;

    /// <summary>
    /// Models trained side by side from different seeds; the one most exact on a selection split (every
    /// tenth training example, taken out of training) is kept. The tiny specialist's exactness moves from
    /// one seed to the next (distill-replay, held-back exact over three runs: order status 49/49, 37/39,
    /// 31/37; unit conversion 50/53, 33/44, 38/44; on one run's selection split, seeds 1 and 2: unit
    /// conversion 21 and 37 of 38, weather 27 and 35 of 35). Two candidates with one thread each train
    /// about as fast as one with two. 1 trains one model on every example.
    /// </summary>
    public int Candidates { get; set; } = 2;

    /// <summary>
    /// Past this the job is stopped and counted as failed; the cluster's routing is unchanged. Training
    /// itself stops a minute before it (at half of it if it is under two minutes) and writes what it has, so a slow job still ends with a model that is
    /// evaluated (and promoted only if it agrees) rather than with nothing.
    /// </summary>
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The training engine fails the job past this resident size (all candidates together).</summary>
    public int MaxMemoryMb { get; set; } = 2048;

    /// <summary>The specialist's longest answer.</summary>
    public int MaxOutputTokens { get; set; } = 256;
}
