using System.Buffers;
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
/// Used by the capture writer alone, one call at a time: it reuses its buffers and remembers the
/// texts it redacted. Only the embedding may run elsewhere (the writer hands it to a thread of its own).
/// </summary>
internal sealed class CallProcessor(PiiRedactor redactor, ITextEmbedder embedder, ClusterIndex clusters, TraceStore store, IOptionsMonitor<LoopOptions> options)
{
    // Identical tasks recur (agents resend the same step): their cluster is remembered instead of embedded again.
    private const int RememberedTasks = 10_000;

    // Texts and their redactions remembered: about 8 MB for a request's strings, 2 MB for signatures,
    // none of them longer than a few minutes (an agent's steps follow each other within seconds).
    private const int RememberedStringChars = 4 << 20;
    private const int RememberedSignatureChars = 1 << 20;
    private static readonly TimeSpan RememberedFor = TimeSpan.FromMinutes(5);

    // A buffer that grew past this for one large request is let go rather than kept.
    private const int KeptBufferBytes = 1 << 20;
    private static readonly string[] HashedFields = ["messages", "tools", "response_format"];
    private readonly Dictionary<string, long> _clusterByHash = [];
    private readonly CachingEmbedder _systemPrompts = new(embedder);
    private readonly StreamingJsonRedactor _json = new(new RememberedRedactions(redactor.RedactJsonString, RememberedStringChars, RememberedFor));
    private readonly RememberedRedactions _signatures = new(redactor.Redact, RememberedSignatureChars, RememberedFor);
    private ArrayBufferWriter<byte> _answer = new();
    private ArrayBufferWriter<byte> _canonical = new();
    private ArrayBufferWriter<byte> _redacted = new();
    private readonly Utf8JsonWriter _writer = new(Stream.Null);

    /// <summary>The stored form of a call, without its cluster (see <see cref="ClusterAsync"/>).</summary>
    public ProcessedCall Process(CapturedCall call)
    {
        LetGoOfLargeBuffers();
        var chat = call.Chat ?? Parse(call.Request);
        var keepBodies = call.Status < 400 || options.CurrentValue.Capture.KeepFailedBodies;
        var hasTask = chat?.Messages is { Count: > 0 };
        var answer = call.Status == 200 && call.Response is not null ? AnswerReader.Read(call.Response, call.Stream) : null;
        var redactedAnswer = keepBodies && answer is not null ? RedactAnswer(answer) : null;
        var request = call.Request is not null && (keepBodies || hasTask) ? Redact(call.Request) : default;
        string? signature = null, hash = null, key = null;
        if (hasTask)
        {
            signature = _signatures.Redact(TaskSignature.Of(chat!));
            hash = TaskHash(signature, request);
            key = TaskSignature.Key(chat!);
        }

        var record = Metadata(call) with
        {
            RequestHash = hash,
            Tools = chat is null ? null : TaskSignature.ToolNames(chat),
            Signature = signature,
            RequestJson = keepBodies && !request.IsEmpty ? Encoding.UTF8.GetString(request) : null,
            AnswerJson = redactedAnswer,
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

    /// <summary>
    /// The call with the task cluster it belongs to (joined or started); unchanged for a call without
    /// a task. An embedding it needs is computed by <paramref name="embedAsync"/>, which runs the
    /// function it is given where the caller wants that work done.
    /// </summary>
    public async Task<ProcessedCall> ClusterAsync(ProcessedCall call, Func<Func<float[]>, Task<float[]>> embedAsync, CancellationToken cancellationToken)
    {
        if (call.Record is not { RequestHash: { } hash, Signature: { } signature } || call.TaskKey is not { } key)
        {
            return call;
        }

        var clusterId = await ClusterOfAsync(hash, key, signature, call.Record.CreatedAtMs, embedAsync, cancellationToken);
        return call with { Record = call.Record with { ClusterId = clusterId } };
    }

    private static CaptureRecord Metadata(CapturedCall call) => new(
        call.At.ToUnixTimeMilliseconds(), call.KeyId, call.Model, call.Route, call.Reason, call.Status, call.LatencyMs, call.InputTokens,
        call.OutputTokens, call.Confidence, call.Stream, null, null, null, null, null, null) { AllowTraining = call.AllowTraining, ModelAsked = call.Chat?.Model };

    private async Task<long> ClusterOfAsync(
        string hash, string key, string signature, long atMs, Func<Func<float[]>, Task<float[]>> embedAsync, CancellationToken cancellationToken)
    {
        if (_clusterByHash.TryGetValue(hash, out var known))
        {
            return known;
        }

        var embedding = await embedAsync(() => TaskSignature.Embed(embedder, signature, _systemPrompts));
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

    private void LetGoOfLargeBuffers()
    {
        if (_redacted.Capacity > KeptBufferBytes)
        {
            _redacted = new ArrayBufferWriter<byte>();
        }

        if (_answer.Capacity > KeptBufferBytes)
        {
            _answer = new ArrayBufferWriter<byte>();
        }

        if (_canonical.Capacity > KeptBufferBytes)
        {
            _canonical = new ArrayBufferWriter<byte>();
        }
    }

    private string RedactAnswer(JsonObject answer)
    {
        _answer.ResetWrittenCount();
        _writer.Reset(_answer);
        answer.WriteTo(_writer);
        _writer.Flush();
        return Encoding.UTF8.GetString(Redact(_answer.WrittenSpan));
    }

    /// <summary>
    /// A JSON object redacted, as JSON, in a buffer that the next call reuses; empty when the JSON is
    /// not an object (a request of another shape is stored without its body).
    /// </summary>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    private ReadOnlySpan<byte> Redact(ReadOnlySpan<byte> json)
    {
        _redacted.ResetWrittenCount();
        _writer.Reset(_redacted);
        if (!_json.TryRedact(json, _writer))
        {
            _redacted.ResetWrittenCount();
            _writer.Reset(_redacted);
            redactor.Redact(JsonTree.Parse(json))?.WriteTo(_writer);
        }

        _writer.Flush();
        return _redacted.WrittenSpan is [(byte)'{', ..] written ? written : default;
    }

    /// <summary>
    /// SHA-256 of the redacted task: the signature, then the messages, tools and response format as
    /// JSON, each after a unit separator (not sampling settings or the model).
    /// </summary>
    private string TaskHash(string signature, ReadOnlySpan<byte> request)
    {
        _canonical.ResetWrittenCount();
        _canonical.Advance(Encoding.UTF8.GetBytes(signature, _canonical.GetSpan(Encoding.UTF8.GetMaxByteCount(signature.Length))));
        foreach (var field in HashedFields)
        {
            _canonical.Write("\u001f"u8);
            _canonical.Write(TopLevelValue(request, field));
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(_canonical.WrittenSpan, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The JSON of a field of an object, as written; empty when the field is absent or null.</summary>
    private static ReadOnlySpan<byte> TopLevelValue(ReadOnlySpan<byte> json, string name)
    {
        if (json.IsEmpty)
        {
            return default;
        }

        var reader = new Utf8JsonReader(json);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var wanted = reader.ValueTextEquals(name);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (wanted)
            {
                return reader.TokenType == JsonTokenType.Null ? default : json[start..(int)reader.BytesConsumed];
            }
        }

        return default;
    }
}

/// <summary>A call ready to store, with what clustering and shadow evaluation need unredacted (kept in memory only).</summary>
internal sealed record ProcessedCall(CaptureRecord Record, ChatCompletionRequest? Chat, JsonObject? Answer, string? TaskKey);
