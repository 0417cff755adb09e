using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Conversion.Clustering;
using SlmGateway.Conversion.Redaction;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Ports;

namespace SlmGateway.Conversion.Capture;

/// <summary>
/// Turns a captured call into what is stored: request and answer redacted and a hash of the redacted
/// task for de-duplication (<see cref="Process"/>, cheap); then the task's cluster, its signature
/// embedded, joined or started (<see cref="ClusterAsync"/>, an embedding unless the task recurs).
/// </summary>
internal sealed class CallProcessor(PiiRedactor redactor, ITextEmbedder embedder, ClusterIndex clusters, TraceStore store, IOptionsMonitor<LoopOptions> options)
{
    // Identical tasks recur (agents resend the same step): their cluster is remembered instead of embedded again.
    private const int RememberedTasks = 10_000;
    private readonly Dictionary<string, long> _clusterByHash = [];
    private readonly CachingEmbedder _systemPrompts = new(embedder);

    /// <summary>The stored form of a call, without its cluster (see <see cref="ClusterAsync"/>).</summary>
    public ProcessedCall Process(CapturedCall call)
    {
        var chat = call.Chat ?? Parse(call.Request);
        var keepBodies = call.Status < 400 || options.CurrentValue.Capture.KeepFailedBodies;
        var request = keepBodies && call.Request is not null ? redactor.Redact(JsonTree.Parse(call.Request)) as JsonObject : null;
        var answer = call.Status == 200 && call.Response is not null ? AnswerReader.Read(call.Response, call.Stream) : null;
        var redactedAnswer = keepBodies ? redactor.Redact(answer?.DeepClone()) : null;
        string? signature = null, hash = null, key = null;
        if (chat?.Messages is { Count: > 0 })
        {
            signature = redactor.Redact(TaskSignature.Of(chat));
            hash = TaskHash(signature, request ?? redactor.Redact(JsonTree.Parse(call.Request!)) as JsonObject);
            key = TaskSignature.Key(chat);
        }

        var record = Metadata(call) with
        {
            RequestHash = hash,
            Tools = chat is null ? null : TaskSignature.ToolNames(chat),
            Signature = signature,
            RequestJson = request?.ToJsonString(),
            AnswerJson = redactedAnswer?.ToJsonString(),
        };
        return new ProcessedCall(record, chat, answer, key);
    }

    /// <summary>
    /// The call with its task's cluster when this writer has clustered the same task before (no
    /// embedding needed), so that it is stored with it at once; otherwise the call unchanged.
    /// </summary>
    public ProcessedCall WithKnownCluster(ProcessedCall call) =>
        call is { Record.RequestHash: { } hash, TaskKey: not null } && _clusterByHash.TryGetValue(hash, out var clusterId)
            ? call with { Record = call.Record with { ClusterId = clusterId } }
            : call;

    /// <summary>A call whose bodies could not be read or redacted: what the gateway knows of it, no text.</summary>
    public static ProcessedCall MetadataOnly(CapturedCall call) => new(Metadata(call), null, null, null);

    /// <summary>Saves the centroids this replica moved, then reads every cluster and its state (other replicas' too) from the store.</summary>
    public async Task ReloadClustersAsync(CancellationToken cancellationToken)
    {
        await store.UpdateCentroidsAsync(clusters.TakeMoved(), cancellationToken);
        clusters.Load(await store.ClustersAsync(cancellationToken));
    }

    /// <summary>The call with the task cluster it belongs to (joined or started); unchanged for a call without a task.</summary>
    public async Task<ProcessedCall> ClusterAsync(ProcessedCall call, CancellationToken cancellationToken)
    {
        if (call.Record is not { RequestHash: { } hash, Signature: { } signature } || call.TaskKey is not { } key)
        {
            return call;
        }

        var clusterId = await ClusterOfAsync(hash, key, signature, call.Record.CreatedAtMs, cancellationToken);
        return call with { Record = call.Record with { ClusterId = clusterId } };
    }

    private static CaptureRecord Metadata(CapturedCall call) => new(
        call.At.ToUnixTimeMilliseconds(), call.KeyId, call.Model, call.Route, call.Reason, call.Status, call.LatencyMs, call.InputTokens,
        call.OutputTokens, call.Confidence, call.Stream, null, null, null, null, null, null) { AllowTraining = call.AllowTraining, ModelAsked = call.Chat?.Model };

    private async Task<long> ClusterOfAsync(string hash, string key, string signature, long atMs, CancellationToken cancellationToken)
    {
        if (_clusterByHash.TryGetValue(hash, out var known))
        {
            return known;
        }

        var embedding = TaskSignature.Embed(embedder, signature, _systemPrompts);
        var nearest = clusters.Nearest(key, embedding);
        if (nearest is null)
        {
            // Another replica may have started this task's cluster since the last refresh: a stale
            // view would start a second one, which the other replica's promotion would then not cover.
            foreach (var started in await store.ClustersAsync(cancellationToken, afterId: clusters.NewestId))
            {
                clusters.Add(started);
            }

            nearest = clusters.Nearest(key, embedding);
        }

        long id;
        if (nearest is not null)
        {
            id = nearest.Id;
            clusters.Join(id, embedding);
        }
        else
        {
            id = await store.CreateClusterAsync(key, embedding, atMs, cancellationToken);
            clusters.Add(new ClusterRow(id, key, embedding, 1, ClusterStates.Observed, null, atMs));
        }

        if (_clusterByHash.Count >= RememberedTasks)
        {
            _clusterByHash.Clear();
        }

        _clusterByHash[hash] = id;
        return id;
    }

    private static ChatCompletionRequest? Parse(byte[]? request)
    {
        if (request is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(request, WireJsonContext.Default.ChatCompletionRequest);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>SHA-256 of the redacted task: messages, tools and response format (not sampling settings or the model).</summary>
    private static string TaskHash(string signature, JsonObject? request)
    {
        var canonical = new StringBuilder(signature);
        foreach (var field in (string[])["messages", "tools", "response_format"])
        {
            canonical.Append('\u001f').Append(request?[field]?.ToJsonString());
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
    }
}

/// <summary>A call ready to store, with what clustering and shadow evaluation need unredacted (kept in memory only).</summary>
internal sealed record ProcessedCall(CaptureRecord Record, ChatCompletionRequest? Chat, JsonObject? Answer, string? TaskKey);
