using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Errors;
using SlmGateway.Conversion.Capture;
using SlmGateway.Conversion.Clustering;
using SlmGateway.Conversion.Distillation;
using SlmGateway.Conversion.Export;
using SlmGateway.Conversion.Promotion;
using SlmGateway.Conversion.Shadow;
using SlmGateway.Conversion.Store;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Ports;

namespace SlmGateway.Conversion.Admin;

/// <summary>
/// The loop's admin API under <c>/admin</c> (admin key required): capture status, clusters with their
/// labels, traffic and shadow agreement, state changes and their evidence, promotion and demotion by
/// hand, an immediate policy run, fine-tuning exports, distillation jobs, and deletion of captured calls.
/// </summary>
public static class AdminApi
{
    private const int LabelSample = 200;
    private const int ExportLimit = 100_000;

    public static IEndpointRouteBuilder MapLoopAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").AddEndpointFilter<AdminKeyFilter>();
        admin.MapGet("/loop", Status);
        admin.MapPost("/loop/evaluate", Evaluate);
        admin.MapGet("/clusters", Clusters);
        admin.MapGet("/clusters/{id:long}", Cluster);
        admin.MapPost("/clusters/{id:long}/promote", Promote);
        admin.MapPost("/clusters/{id:long}/demote", Demote);
        admin.MapGet("/clusters/{id:long}/export", Export);
        admin.MapGet("/events", Events);
        admin.MapGet("/router/evidence", RouterEvidence);
        admin.MapDelete("/captures", Delete);
        admin.MapDistillationApi();
        return app;
    }

    private static async Task<IResult> Status(
        CaptureQueue queue, ShadowSampler shadow, TraceStore store, TraceStoreHealth health, ClusterIndex clusters, DistillationRunner distillation,
        CancellationToken cancellationToken)
    {
        var counts = queue.Counts;
        var shadowCounts = shadow.Counts;
        long? captured = null;
        string? storeError = null;
        try
        {
            captured = await store.CountCapturesAsync(null, cancellationToken);
        }
        catch (DbException ex)
        {
            storeError = ex.Message;
        }

        return AdminResults.Json(new JsonObject
        {
            ["store"] = store.Kind,
            ["captured"] = captured,
            ["store_error"] = storeError ?? health.Error,
            ["clusters"] = clusters.View.Count,
            ["capture"] = new JsonObject
            {
                ["accepted"] = counts.Accepted,
                ["dropped"] = counts.Dropped,
                ["written"] = counts.Written,
                ["failed"] = counts.Failed,
                ["waiting"] = counts.Waiting,
                ["sampled_out"] = counts.SampledOut,
                ["unclustered"] = counts.Unclustered,
                ["clustering"] = counts.Clustering,
            },
            ["shadow"] = new JsonObject
            {
                ["queued"] = shadowCounts.Queued,
                ["dropped"] = shadowCounts.Dropped,
                ["evaluated"] = shadowCounts.Evaluated,
                ["skipped"] = shadowCounts.Skipped,
            },
            ["distillation"] = distillation.Runs.LastOrDefault()?.ToJson(),
        });
    }

    private static async Task<IResult> Evaluate(LoopSteward steward, CancellationToken cancellationToken)
    {
        var changes = await steward.EvaluateAsync(cancellationToken);
        return AdminResults.Json(new JsonObject { ["changes"] = new JsonArray(changes.Select(EventJson).ToArray()) });
    }

    private static async Task<IResult> Clusters(TraceStore store, CancellationToken cancellationToken) =>
        AdminResults.Json(new JsonObject { ["data"] = new JsonArray((await SummariesAsync(store, null, cancellationToken)).ToArray()) });

    private static async Task<IResult> Cluster(long id, TraceStore store, CancellationToken cancellationToken)
    {
        var summary = (await SummariesAsync(store, id, cancellationToken)).FirstOrDefault();
        if (summary is null)
        {
            return AdminResults.NotFound($"Cluster {id}");
        }

        summary["events"] = new JsonArray((await store.EventsAsync(id, cancellationToken)).Select(EventJson).ToArray());
        return AdminResults.Json(summary);
    }

    private static async Task<IResult> Promote(
        long id, HttpRequest request, LoopSteward steward, TraceStore store, IOptionsMonitor<LocalOptions> local, ILocalModelRegistration registration,
        CancellationToken cancellationToken)
    {
        var (body, error) = await ReadBodyAsync(request, cancellationToken);
        if (error is not null)
        {
            return AdminResults.Error(error);
        }

        var model = body?["model"] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
        var models = local.CurrentValue.Models.Concat(registration.Added).Select(m => m.Name).ToList();
        if (model is null || !models.Contains(model))
        {
            return AdminResults.Error(GatewayError.InvalidRequest(
                $"'model' must name a configured local model ({string.Join(", ", models)}).", "model", model is null ? "missing_required_parameter" : "invalid_value"));
        }

        return await ChangeAsync(id, ClusterStates.Promoted, model, Reason(body), steward, store, cancellationToken);
    }

    private static async Task<IResult> Demote(long id, HttpRequest request, LoopSteward steward, TraceStore store, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadBodyAsync(request, cancellationToken);
        return error is not null ? AdminResults.Error(error) : await ChangeAsync(id, ClusterStates.Demoted, null, Reason(body), steward, store, cancellationToken);
    }

    private static async Task<IResult> ChangeAsync(long id, string state, string? model, string reason, LoopSteward steward, TraceStore store, CancellationToken cancellationToken)
    {
        var current = (await store.ClustersAsync(cancellationToken)).FirstOrDefault(c => c.Id == id);
        if (current is null)
        {
            return AdminResults.NotFound($"Cluster {id}");
        }

        var change = new ClusterEvent(id, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), current.State, state, model ?? current.Model, "admin",
            new JsonObject { ["reason"] = reason }.ToJsonString());
        return await steward.ChangeAsync(change, cancellationToken) ? AdminResults.Json(EventJson(change)) : AdminResults.NotFound($"Cluster {id}");
    }

    private static async Task<IResult> Export(
        long id, string? split, [FromQuery(Name = "validation_share")] double? validationShare, TraceStore store, CancellationToken cancellationToken)
    {
        var share = validationShare ?? 0.1;
        if (split is not ("training" or "validation"))
        {
            return AdminResults.Error(GatewayError.InvalidRequest("'split' must be 'training' or 'validation'.", "split", "invalid_value"));
        }

        if (share is < 0 or > 0.5)
        {
            return AdminResults.Error(GatewayError.InvalidRequest("'validation_share' must be between 0 and 0.5.", "validation_share", "invalid_value"));
        }

        if ((await store.ClustersAsync(cancellationToken)).All(c => c.Id != id))
        {
            return AdminResults.NotFound($"Cluster {id}");
        }

        var calls = await store.ClusterCallsAsync(id, ExportLimit, cancellationToken, trainableOnly: true);
        var (training, validation) = FineTuningExporter.Export(calls.Select(c => (c.RequestJson, c.AnswerJson, c.Route, c.Status, c.RequestHash)), share);
        var lines = split == "training" ? training : validation;
        return Results.Text(string.Concat(lines.Select(l => l + "\n")), "application/jsonl");
    }

    /// <summary>JSON Lines of <c>{"capture_id", "agreed", "request"}</c> for <c>slmgw-router retrain</c>.</summary>
    private static async Task<IResult> RouterEvidence(int? limit, TraceStore store, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > ExportLimit)
        {
            return AdminResults.Error(GatewayError.InvalidRequest($"'limit' must be between 1 and {ExportLimit}.", "limit", "invalid_value"));
        }

        var evidence = await store.ShadowEvidenceAsync(limit ?? ExportLimit, cancellationToken);
        var lines = evidence.Select(call => new JsonObject
        {
            ["capture_id"] = call.CaptureId,
            ["agreed"] = call.Agreed,
            ["request"] = JsonNode.Parse(call.RequestJson),
        }.ToJsonString() + "\n");
        return Results.Text(string.Concat(lines), "application/jsonl");
    }

    private static async Task<IResult> Events(TraceStore store, CancellationToken cancellationToken) =>
        AdminResults.Json(new JsonObject { ["data"] = new JsonArray((await store.EventsAsync(null, cancellationToken)).Select(EventJson).ToArray()) });

    private static async Task<IResult> Delete(
        [FromQuery(Name = "key_id")] string? keyId, [FromQuery(Name = "older_than_days")] int? olderThanDays, [FromQuery(Name = "cluster")] long? clusterId, bool? all,
        TraceStore store, CancellationToken cancellationToken)
    {
        if (keyId is null && olderThanDays is null && clusterId is null && all != true)
        {
            return AdminResults.Error(GatewayError.InvalidRequest("Say what to delete: 'key_id', 'older_than_days', 'cluster', a combination, or 'all=true'.", "key_id", "missing_required_parameter"));
        }

        if (olderThanDays is < 0)
        {
            return AdminResults.Error(GatewayError.InvalidRequest("'older_than_days' must not be negative.", "older_than_days", "invalid_value"));
        }

        long? before = olderThanDays is { } days ? DateTimeOffset.UtcNow.AddDays(-days).ToUnixTimeMilliseconds() : null;
        return AdminResults.Json(new JsonObject { ["deleted"] = await store.DeleteCapturesAsync(keyId, before, cancellationToken, clusterId) });
    }

    /// <summary>Each cluster (or one) with its labels, its state, its traffic and its shadow evidence since its last change.</summary>
    private static async Task<List<JsonObject>> SummariesAsync(TraceStore store, long? only, CancellationToken cancellationToken)
    {
        var rows = (await store.ClustersAsync(cancellationToken)).Where(c => only is null || c.Id == only).ToList();
        var shadow = await store.ShadowStatsAsync(cancellationToken);
        var traffic = await store.TrafficStatsAsync(cancellationToken);
        var samples = new Dictionary<long, List<(string? Tools, string? Signature)>>();
        foreach (var row in rows)
        {
            samples[row.Id] = (await store.ClusterCallsAsync(row.Id, LabelSample, cancellationToken)).Select(c => (c.Tools, c.Signature)).ToList();
        }

        var labels = ClusterLabeler.Label(samples);
        return rows.Select(row =>
        {
            var live = traffic.FirstOrDefault(t => t.ClusterId == row.Id);
            return new JsonObject
            {
                ["id"] = row.Id,
                ["size"] = row.Size,
                ["state"] = row.State,
                ["model"] = row.Model,
                ["state_changed_at"] = DateTimeOffset.FromUnixTimeMilliseconds(row.StateChangedAtMs).ToString("O", CultureInfo.InvariantCulture),
                ["tools"] = new JsonArray(labels[row.Id].Tools.Select(t => (JsonNode)JsonValue.Create(t)).ToArray()),
                ["terms"] = new JsonArray(labels[row.Id].Terms.Select(t => (JsonNode)JsonValue.Create(t)).ToArray()),
                ["since_change"] = new JsonObject
                {
                    ["calls"] = live?.Calls ?? 0,
                    ["remote"] = live?.Remote ?? 0,
                    ["local"] = live?.Local ?? 0,
                    ["escalated"] = live?.Escalated ?? 0,
                },
                ["shadow"] = new JsonArray(shadow.Where(s => s.ClusterId == row.Id).Select(s => (JsonNode)s.ToJson()).ToArray()),
            };
        }).ToList();
    }

    private static JsonNode EventJson(ClusterEvent change) => new JsonObject
    {
        ["cluster"] = change.ClusterId,
        ["at"] = DateTimeOffset.FromUnixTimeMilliseconds(change.AtMs).ToString("O", CultureInfo.InvariantCulture),
        ["from"] = change.FromState,
        ["to"] = change.ToState,
        ["model"] = change.Model,
        ["actor"] = change.Actor,
        ["evidence"] = JsonNode.Parse(change.Evidence),
    };

    private static string Reason(JsonNode? body) =>
        body?["reason"] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : "by hand";

    private static async Task<(JsonNode? Body, GatewayError? Error)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is 0 or null && !request.Headers.TransferEncoding.Any())
        {
            return (null, null);
        }

        try
        {
            var body = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken);
            return body is JsonObject ? (body, null) : (null, GatewayError.InvalidRequest("The body must be a JSON object.", null, "invalid_json"));
        }
        catch (JsonException ex)
        {
            return (null, GatewayError.InvalidRequest($"The body is not valid JSON: {ex.Message}", null, "invalid_json"));
        }
    }
}
