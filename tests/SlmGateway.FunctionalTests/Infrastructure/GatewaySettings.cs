using System.Globalization;

namespace SlmGateway.FunctionalTests.Infrastructure;

/// <summary>Builds the configuration a test gateway starts with; nothing else is read.</summary>
public sealed class GatewaySettings
{
    private readonly Dictionary<string, string?> _values = new()
    {
        ["Serilog:MinimumLevel:Default"] = "Warning",
        // A test gateway stops at once; the drain before a stop is for load balancers (GracefulShutdownTests).
        ["SlmGateway:Shutdown:DrainDelay"] = "00:00:00",
    };

    private int _upstreams;
    private int _keys;
    private int _localModels;

    public IReadOnlyDictionary<string, string?> Values => _values;

    /// <summary>Adds an upstream; models are "public=upstream" pairs or plain names.</summary>
    public GatewaySettings Upstream(string name, string baseUrl, params string[] models) =>
        Upstream(name, baseUrl, models, _ => { });

    public GatewaySettings Upstream(string name, string baseUrl, string[] models, Action<Dictionary<string, string?>> extra)
    {
        var prefix = $"SlmGateway:Remote:Upstreams:{_upstreams++}:";
        _values[prefix + "Name"] = name;
        _values[prefix + "BaseUrl"] = baseUrl;
        _values[prefix + "Retry:BaseDelay"] = "00:00:00.010";
        _values[prefix + "Retry:MaxDelay"] = "00:00:00.050";
        foreach (var model in models)
        {
            var parts = model.Split('=', 2);
            _values[prefix + "Models:" + parts[0]] = parts.Length == 2 ? parts[1] : parts[0];
        }

        var options = new Dictionary<string, string?>();
        extra(options);
        foreach (var (key, value) in options)
        {
            _values[prefix + key] = value;
        }

        return this;
    }

    /// <summary>Adds a local model (family qwen, two threads); <paramref name="extra"/> sets further options by key.</summary>
    public GatewaySettings LocalModel(string name, string path, params (string Key, string Value)[] extra)
    {
        var prefix = $"SlmGateway:Local:Models:{_localModels++}:";
        _values[prefix + "Name"] = name;
        _values[prefix + "Path"] = path;
        _values[prefix + "Threads"] = "2";
        foreach (var (key, value) in extra)
        {
            _values[prefix + key] = value;
        }

        return this;
    }

    /// <summary><c>auto</c> chooses between the two models, with confidence bars low enough that a random local model's answers pass.</summary>
    public GatewaySettings AutoRouting(string localModel, string remoteModel) =>
        Set("SlmGateway:Routing:LocalModel", localModel)
            .Set("SlmGateway:Routing:RemoteModel", remoteModel)
            .Set("SlmGateway:Routing:MinConfidenceMean", "-100")
            .Set("SlmGateway:Routing:MinConfidenceMin", "-1000");

    /// <summary>Captures every chat completion to the given store, with the admin key <see cref="LoopStore.AdminKey"/>.</summary>
    public GatewaySettings Capture(LoopStore store) =>
        Set("SlmGateway:Loop:Capture:Enabled", "true")
            .Set("SlmGateway:Loop:Capture:Store", store.Kind)
            .Set("SlmGateway:Loop:Capture:ConnectionString", store.ConnectionString)
            .Set("SlmGateway:Auth:AdminKeys:0:Id", "admin")
            .Set("SlmGateway:Auth:AdminKeys:0:Sha256", LoopStore.AdminKeySha256);

    public GatewaySettings ClientKey(string id, string sha256, int requestsPerMinute = 0)
    {
        var prefix = $"SlmGateway:Auth:Keys:{_keys++}:";
        _values[prefix + "Id"] = id;
        _values[prefix + "Sha256"] = sha256;
        _values[prefix + "RequestsPerMinute"] = requestsPerMinute.ToString(CultureInfo.InvariantCulture);
        return this;
    }

    public GatewaySettings Set(string key, string? value)
    {
        _values[key] = value;
        return this;
    }
}
