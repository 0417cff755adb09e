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
using Microsoft.Extensions.DependencyInjection;
using SlmGateway.Core.Conversion;

namespace SlmGateway.Conversion.Capture;

/// <summary>
/// Turns a captured call into what is stored: request and answer redacted, a hash of the redacted
/// task for de-duplication, and the task's cluster (its signature embedded, joined or started).
/// </summary>
internal sealed class CallProcessor(PiiRedactor redactor, [FromKeyedServices(TextEmbedders.Background)] ITextEmbedder embedder, ClusterIndex clusters, TraceStore store, IOptionsMonitor<LoopOptions> options)
{
    // Identical tasks recur (agents resend the same step): their cluster is remembered instead of embedded again.
    private const int RememberedTasks = 10_000;
    private readonly Dictionary<string, long> _clusterByHash = [];
    private readonly CachingEmbedder _systemPrompts = new(embedder);

    public async Task<ProcessedCall> ProcessAsync(CapturedCall call, CancellationToken cancellationToken)
    {
        var chat = Parse(call.Request);
        var keepBodies = call.Status < 400 || options.CurrentValue.Capture.KeepFailedBodies;
        var request = keepBodies && call.Request is not null ? redactor.Redact(JsonNode.Parse(call.Request)) as JsonObject : null;
        var answer = call.Status == 200 && call.Response is not null ? AnswerReader.Read(call.Response, call.Stream) : null;
        var redactedAnswer = keepBodies ? redactor.Redact(answer?.DeepClone()) : null;
        string? signature = null, hash = null;
        long? clusterId = null;
        if (chat?.Messages is { Count: > 0 })
        {
            signature = redactor.Redact(TaskSignature.Of(chat));
            hash = TaskHash(signature, request ?? redactor.Redact(JsonNode.Parse(call.Request!)) as JsonObject);
            clusterId = await ClusterOfAsync(hash, TaskSignature.Key(chat), signature, call.At, cancellationToken);
        }

        var record = new CaptureRecord(
            call.At.ToUnixTimeMilliseconds(), call.KeyId, call.Model, call.Route, call.Reason, call.Status, call.LatencyMs, call.InputTokens,
            call.OutputTokens, call.Confidence, call.Stream, hash, clusterId, chat is null ? null : TaskSignature.ToolNames(chat), signature,
            request?.ToJsonString(), redactedAnswer?.ToJsonString());
        return new ProcessedCall(record, chat, answer);
    }

    private async Task<long> ClusterOfAsync(string hash, string key, string signature, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (_clusterByHash.TryGetValue(hash, out var known))
        {
            return known;
        }

        var embedding = TaskSignature.Embed(embedder, signature, _systemPrompts);
        long id;
        if (clusters.Nearest(key, embedding) is { } nearest)
        {
            id = nearest.Id;
            clusters.Join(id, embedding);
        }
        else
        {
            id = await store.CreateClusterAsync(key, embedding, at.ToUnixTimeMilliseconds(), cancellationToken);
            clusters.Add(new ClusterRow(id, key, embedding, 1, ClusterStates.Observed, null, at.ToUnixTimeMilliseconds()));
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

/// <summary>A call ready to store, with what shadow evaluation needs unredacted (kept in memory only).</summary>
internal sealed record ProcessedCall(CaptureRecord Record, ChatCompletionRequest? Chat, JsonObject? Answer);
