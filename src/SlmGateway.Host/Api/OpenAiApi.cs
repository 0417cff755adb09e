using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Errors;
using SlmGateway.Contracts.Models;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Conversion.Capture;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Host.Api;

/// <summary>The OpenAI-compatible surface under <c>/v1</c>.</summary>
internal static class OpenAiApi
{
    private static readonly long StartedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static WebApplication MapOpenAiApi(this WebApplication app)
    {
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/chat/completions", static context => HandleAsync(context, ApiEndpoint.ChatCompletions));
        v1.MapPost("/completions", static context => HandleAsync(context, ApiEndpoint.Completions));
        v1.MapPost("/embeddings", static context => HandleAsync(context, ApiEndpoint.Embeddings));
        v1.MapPost("/responses", static context => HandleAsync(context, ApiEndpoint.Responses));
        v1.MapGet("/models", ListModels);
        v1.MapGet("/models/{**id}", GetModel);
        return app;
    }

    private static async Task HandleAsync(HttpContext context, ApiEndpoint endpoint)
    {
        var limit = context.RequestServices.GetRequiredService<IOptionsMonitor<GatewayOptions>>().CurrentValue.MaxRequestBodyBytes;
        var (body, readError) = await RequestBody.ReadAsync(context.Request, limit);
        if (body is null)
        {
            await ErrorWriter.WriteAsync(context.Response, readError!);
            return;
        }

        using (body)
        {
            var parsed = JsonTextCheck.Check(body.Memory.Span) is { } textError
                ? new ParsedRequest(string.Empty, null, false, textError)
                : endpoint == ApiEndpoint.ChatCompletions ? ParseChat(body) : ParseModelRequest(body);
            if (parsed.Error is { } error)
            {
                await ErrorWriter.WriteAsync(context.Response, error);
                return;
            }

            await DispatchAsync(context, endpoint, parsed, body);
        }
    }

    private static ParsedRequest ParseChat(RequestBody body)
    {
        if (!WireParser.TryParse(body.Memory.Span, WireJsonContext.Default.ChatCompletionRequest, out var chat, out var error)
            || (error = ChatCompletionRequestValidator.Validate(chat!)) is not null)
        {
            return new ParsedRequest(string.Empty, null, false, error);
        }

        return new ParsedRequest(chat!.Model!, chat, chat.IsStreaming, null);
    }

    private static ParsedRequest ParseModelRequest(RequestBody body)
    {
        if (!WireParser.TryParse(body.Memory.Span, WireJsonContext.Default.ModelRequest, out var request, out var error)
            || (error = ChatCompletionRequestValidator.ValidateModel(request!.Model)) is not null)
        {
            return new ParsedRequest(string.Empty, null, false, error);
        }

        return new ParsedRequest(request.Model!, null, request.Stream == true, null);
    }

    private static async Task DispatchAsync(HttpContext context, ApiEndpoint endpoint, ParsedRequest parsed, RequestBody body)
    {
        var trace = context.Features.Get<RequestTrace>() ?? new RequestTrace();
        var shape = parsed.Chat is null ? null : RequestShape.Of(parsed.Chat);
        var header = context.Request.Headers[RoutePlanner.RouteHeader] is { Count: > 0 } values ? values.ToString() : null;
        var planner = context.RequestServices.GetRequiredService<RoutePlanner>();
        var session = await AgentSession.FindAsync(context, parsed.Chat, parsed.Model, trace.ClientKeyId, planner);
        var (plan, routeError) = planner.Plan(new RouteRequest(parsed.Model, parsed.Chat, shape, trace.ClientKeyId, header) { Session = session?.Tier });
        if (plan is null)
        {
            await ErrorWriter.WriteAsync(context.Response, routeError!);
            return;
        }

        trace.Plan = plan;
        session?.RecordWhenAnswered(context, trace);
        context.Features.Get<CaptureFeature>()?.RecordRequest(body.Memory, parsed.Chat);
        var request = new GatewayRequest(endpoint, parsed.Model, body.Memory, parsed.Chat, parsed.Stream, trace.ClientKeyId) { Shape = shape };
        var outcome = await context.RequestServices.GetRequiredService<RouteExecutor>().ExecuteAsync(context, request, plan, trace);
        if (!outcome.Committed && outcome.Error is { } error)
        {
            await ErrorWriter.WriteAsync(context.Response, error, outcome.RetryAfter);
        }
    }

    private static IResult ListModels(ModelCatalog catalog) =>
        Results.Json(
            new ModelList("list", catalog.ModelNames.Select(ToInfo).ToArray()),
            WireJsonContext.Default.ModelList);

    private static IResult GetModel(string id, ModelCatalog catalog) =>
        catalog.Resolve(id) is null || !catalog.ModelNames.Contains(id)
            ? Results.Json(new OpenAiErrorEnvelope(GatewayError.ModelNotFound(id).Error), WireJsonContext.Default.OpenAiErrorEnvelope, statusCode: 404)
            : Results.Json(ToInfo(id), WireJsonContext.Default.ModelInfo);

    private static ModelInfo ToInfo(string id) => new(id, "model", StartedAt, "slmgateway");

    /// <summary>What the front door read from a body: the model, the chat request if it is one, or the error to answer.</summary>
    private readonly record struct ParsedRequest(string Model, ChatCompletionRequest? Chat, bool Stream, GatewayError? Error);
}
