using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Errors;
using SlmGateway.Contracts.Models;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Host.Api;

/// <summary>The OpenAI-compatible surface under <c>/v1</c>.</summary>
internal static class OpenAiApi
{
    private const string RemoteRoute = "remote";
    private static readonly long StartedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static WebApplication MapOpenAiApi(this WebApplication app)
    {
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/chat/completions", HandleChatAsync);
        v1.MapPost("/completions", context => HandleForwardedAsync(context, ApiEndpoint.Completions));
        v1.MapPost("/embeddings", context => HandleForwardedAsync(context, ApiEndpoint.Embeddings));
        v1.MapPost("/responses", context => HandleForwardedAsync(context, ApiEndpoint.Responses));
        v1.MapGet("/models", ListModels);
        v1.MapGet("/models/{**id}", GetModel);
        return app;
    }

    private static async Task HandleChatAsync(HttpContext context)
    {
        var (body, readError) = await ReadBodyAsync(context);
        if (body is null)
        {
            await ErrorWriter.WriteAsync(context.Response, readError!);
            return;
        }

        using (body)
        {
            if (!WireParser.TryParse(body.Memory.Span, WireJsonContext.Default.ChatCompletionRequest, out var chat, out var error)
                || (error = ChatCompletionRequestValidator.Validate(chat!)) is not null)
            {
                await ErrorWriter.WriteAsync(context.Response, error!);
                return;
            }

            await DispatchAsync(context, ApiEndpoint.ChatCompletions, chat!.Model!, body, chat, chat.IsStreaming);
        }
    }

    private static async Task HandleForwardedAsync(HttpContext context, ApiEndpoint endpoint)
    {
        var (body, readError) = await ReadBodyAsync(context);
        if (body is null)
        {
            await ErrorWriter.WriteAsync(context.Response, readError!);
            return;
        }

        using (body)
        {
            if (!WireParser.TryParse(body.Memory.Span, WireJsonContext.Default.ModelRequest, out var request, out var error)
                || (error = ChatCompletionRequestValidator.ValidateModel(request!.Model)) is not null)
            {
                await ErrorWriter.WriteAsync(context.Response, error!);
                return;
            }

            await DispatchAsync(context, endpoint, request.Model!, body, null, request.Stream == true);
        }
    }

    private static ValueTask<(RequestBody? Body, GatewayError? Error)> ReadBodyAsync(HttpContext context)
    {
        var limit = context.RequestServices.GetRequiredService<IOptionsMonitor<GatewayOptions>>().CurrentValue.MaxRequestBodyBytes;
        return RequestBody.ReadAsync(context.Request, limit);
    }

    private static async Task DispatchAsync(HttpContext context, ApiEndpoint endpoint, string model, RequestBody body, ChatCompletionRequest? chat, bool stream)
    {
        var services = context.RequestServices;
        var route = services.GetRequiredService<ModelCatalog>().Resolve(model);
        if (route is null)
        {
            await ErrorWriter.WriteAsync(context.Response, GatewayError.ModelNotFound(model));
            return;
        }

        var trace = context.Features.Get<RequestTrace>();
        if (trace is not null)
        {
            trace.Model = route.Model;
            trace.Route = RemoteRoute;
        }

        var request = new GatewayRequest(endpoint, model, body.Memory, chat, stream, trace?.ClientKeyId);
        var outcome = await services.GetRequiredService<IRequestBackend>().ServeAsync(request, route, context);
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
}
