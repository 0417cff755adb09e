namespace SlmGateway.Core.Configuration;

/// <summary>How the gateway chooses between local and remote, bound from <c>SlmGateway:Routing</c> and reloadable.</summary>
public sealed class RoutingOptions
{
    public const string Section = "SlmGateway:Routing";

    /// <summary>Model names that ask the gateway to choose (for example <c>auto</c>).</summary>
    public List<string> AutoModels { get; set; } = ["auto"];

    /// <summary>The local model that serves chosen-local requests.</summary>
    public string? LocalModel { get; set; }

    /// <summary>The remote model (a name an upstream maps) that serves chosen-remote requests, escalations and spills.</summary>
    public string? RemoteModel { get; set; }

    /// <summary>A request goes local when the classifier's probability that local suffices is at least this.</summary>
    public double Threshold { get; set; } = 0.5;

    /// <summary>Local answers whose mean token log-probability is below this are escalated (when a remote model exists).</summary>
    public double MinConfidenceMean { get; set; } = -3.0;

    /// <summary>Local answers with any token log-probability below this are escalated.</summary>
    public double MinConfidenceMin { get; set; } = -15.0;

    /// <summary>
    /// When a later candidate can take over (a remote model after the local one, the local model as a
    /// last resort after the remote one): how long a candidate may go without its first token, having
    /// sent nothing to the client, before it is abandoned for the next (<c>first_token_deadline</c>).
    /// Unset: no such deadline.
    /// </summary>
    public TimeSpan? FirstTokenDeadline { get; set; }

    /// <summary>Agent sessions: a tool loop stays on the model that made the call, and a session served remotely stays remote.</summary>
    public SessionOptions Sessions { get; set; } = new();

    /// <summary>Whether clients may force the route with the <c>x-slmgw-route</c> request header (per-key policy can override).</summary>
    public bool AllowHeaderOverride { get; set; } = true;

    /// <summary>Per client key id: a fixed route and whether the header override is allowed.</summary>
    public Dictionary<string, KeyRoutingPolicy> Keys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// A router model file written by <c>slmgw-router train|retrain</c>, in place of the built-in one;
    /// checked for changes every <see cref="ClassifierReloadInterval"/> and used without a restart.
    /// </summary>
    public string? ClassifierFile { get; set; }

    public TimeSpan ClassifierReloadInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>More names that let the gateway choose, each with its own pair and threshold (unset values come from above).</summary>
    public Dictionary<string, AutoAliasPolicy> AutoAliases { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Remote prices per model name (USD per million tokens), for the estimated cost saved by serving locally.</summary>
    public Dictionary<string, ModelPrice> Prices { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per task label (<c>tool_call</c>, <c>json</c>, <c>chat</c>): a fixed route, or the local model that serves it.</summary>
    public Dictionary<string, TaskRoutingPolicy> Tasks { get; set; } = new(StringComparer.Ordinal);
}

public sealed class ModelPrice
{
    public double InputPerMillion { get; set; }

    public double OutputPerMillion { get; set; }
}

public sealed class AutoAliasPolicy
{
    public string? LocalModel { get; set; }

    public string? RemoteModel { get; set; }

    public double? Threshold { get; set; }
}

public sealed class TaskRoutingPolicy
{
    /// <summary><c>local</c> or <c>remote</c> for every request of the task; null lets the classifier decide.</summary>
    public string? Route { get; set; }

    /// <summary>The local model that serves this task (otherwise the first local model listing the task, then <c>LocalModel</c>).</summary>
    public string? LocalModel { get; set; }
}

public sealed class KeyRoutingPolicy
{
    /// <summary><c>local</c> or <c>remote</c> for every request of the key; null lets the classifier decide.</summary>
    public string? Route { get; set; }

    public bool? AllowHeaderOverride { get; set; }
}

/// <summary>Session-aware routing for agent loops (<c>SlmGateway:Routing:Sessions</c>).</summary>
public sealed class SessionOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary><c>memory</c> (this process) or <c>postgres</c> (shared by replicas, at <see cref="ConnectionString"/>).</summary>
    public string Store { get; set; } = "memory";

    public string? ConnectionString { get; set; }

    /// <summary>Sessions kept in memory at most; the least recently used go first.</summary>
    public int MaxEntries { get; set; } = 100_000;

    /// <summary>A session not seen for this long is forgotten.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(1);
}
