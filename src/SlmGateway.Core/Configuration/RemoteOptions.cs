namespace SlmGateway.Core.Configuration;

/// <summary>The remote LLM providers, bound from <c>SlmGateway:Remote</c>. Order is the fallback order.</summary>
public sealed class RemoteOptions
{
    public const string Section = "SlmGateway:Remote";

    public List<UpstreamOptions> Upstreams { get; set; } = [];

    /// <summary>
    /// The longest a client waits for an answer to start, across every attempt, retry delay and
    /// fallback upstream together (each attempt's first-byte timeout is cut to what is left); 504 after it.
    /// </summary>
    public TimeSpan AnswerDeadline { get; set; } = TimeSpan.FromSeconds(120);
}

public sealed class UpstreamOptions
{
    public string Name { get; set; } = string.Empty;

    /// <summary>The provider's OpenAI-compatible base URL, including <c>/v1</c> (for example https://api.openai.com/v1).</summary>
    public string BaseUrl { get; set; } = string.Empty;

    /// <summary>Name of the environment variable holding the provider's API key.</summary>
    public string? ApiKeyEnv { get; set; }

    /// <summary>Path of a file holding the provider's API key (a mounted secret); read at start and on reload.</summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>Public model name → the provider's model name. The key <c>*</c> serves any model under its own name.</summary>
    public Dictionary<string, string> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Headers added to every request to this provider (for example an organisation or API version).</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public UpstreamTimeouts Timeouts { get; set; } = new();

    public RetryOptions Retry { get; set; } = new();

    public BreakerOptions Breaker { get; set; } = new();

    /// <summary>
    /// Whether this upstream's answers may go into fine-tuning exports. Unset: no for providers whose
    /// terms forbid using their output to develop competing models (OpenAI, Anthropic, Google Gemini,
    /// by the host of <see cref="BaseUrl"/>), yes otherwise. Set it to true where your agreement allows.
    /// </summary>
    public bool? AllowTraining { get; set; }

    /// <summary>Hosts of providers whose terms forbid training competing models on their output.</summary>
    public static readonly IReadOnlySet<string> NoTrainingHosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com",
    };

    /// <summary>The effective <see cref="AllowTraining"/>.</summary>
    public bool TrainingAllowed =>
        AllowTraining ?? !(Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) && NoTrainingHosts.Contains(uri.Host));
}

public sealed class UpstreamTimeouts
{
    public TimeSpan Connect { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>From sending the request to receiving the response headers.</summary>
    public TimeSpan FirstByte { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The whole exchange, streamed body included.</summary>
    public TimeSpan Total { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest silence allowed between two reads of a response body.</summary>
    public TimeSpan Idle { get; set; } = TimeSpan.FromMinutes(2);
}

public sealed class RetryOptions
{
    /// <summary>Retries after the first attempt; 0 disables retrying.</summary>
    public int MaxRetries { get; set; } = 2;

    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A <c>Retry-After</c> longer than this is not waited for: the next upstream is tried instead.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class BreakerOptions
{
    public double FailureRatio { get; set; } = 0.5;

    public int MinimumThroughput { get; set; } = 10;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
