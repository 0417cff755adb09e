using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SlmGateway.Conversion.Distillation;
using SlmGateway.Conversion.Store;

namespace SlmGateway.Conversion.Admin;

/// <summary>
/// Distillation jobs under <c>/admin</c>: <c>POST /clusters/{id}/distill</c> starts one (202 with the
/// job), <c>GET /distillations[/{job}]</c> shows progress, <c>DELETE /distillations/{job}</c> cancels.
/// </summary>
internal static class DistillationApi
{
    public static void MapDistillationApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/clusters/{id:long}/distill", Start);
        admin.MapGet("/distillations", List);
        admin.MapGet("/distillations/{job}", Show);
        admin.MapDelete("/distillations/{job}", Cancel);
    }

    private static async Task<IResult> Start(long id, DistillationRunner runner, TraceStore store, CancellationToken cancellationToken)
    {
        if ((await store.ClustersAsync(cancellationToken)).All(c => c.Id != id))
        {
            return AdminResults.NotFound($"Cluster {id}");
        }

        var (run, error) = await runner.StartAsync(id, cancellationToken);
        return error is not null ? AdminResults.Error(error) : AdminResults.Json(run!.ToJson(), StatusCodes.Status202Accepted);
    }

    private static IResult List(DistillationRunner runner) =>
        AdminResults.Json(new JsonObject { ["data"] = new JsonArray(runner.Runs.Select(run => (JsonNode)run.ToJson()).ToArray()) });

    private static IResult Show(string job, DistillationRunner runner) =>
        runner.Find(job) is { } run ? AdminResults.Json(run.ToJson()) : AdminResults.NotFound($"Distillation job {job}");

    private static IResult Cancel(string job, DistillationRunner runner)
    {
        if (runner.Find(job) is not { } run)
        {
            return AdminResults.NotFound($"Distillation job {job}");
        }

        return runner.Cancel(job) ? AdminResults.Json(run.ToJson(), StatusCodes.Status202Accepted) : AdminResults.Json(run.ToJson());
    }
}
