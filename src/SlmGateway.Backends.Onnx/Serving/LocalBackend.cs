using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntimeGenAI;
using SlmGateway.Backends.Onnx.Generation;
using SlmGateway.Backends.Onnx.Models;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Errors;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>
/// Serves chat completions from a local model: plan, wait for a generation slot, generate off the
/// request thread, and answer in OpenAI's shape. Free text streams as it is generated; answers that
/// may be tool calls or must be JSON are generated in full first, so nothing is committed before
/// they are known to be well formed.
/// </summary>
internal sealed class LocalBackend(LocalModelRegistry registry, IOptionsMonitor<RoutingOptions> routing) : IRequestBackend
{
    private static readonly TimeSpan OverloadRetryAfter = TimeSpan.FromSeconds(1);

    public async ValueTask<BackendOutcome> ServeAsync(GatewayRequest request, ModelRoute route, HttpContext context)
    {
        var name = route.Local!;
        if (request.Endpoint != ApiEndpoint.ChatCompletions || request.Chat is null)
        {
            return BackendOutcome.Failed(GatewayError.InvalidRequest($"The local model '{name}' serves /v1/chat/completions only.", "model", "unsupported_endpoint"), name);
        }

        var aborted = context.RequestAborted;
        LocalModel model;
        try
        {
            model = await registry.Find(name)!.WaitAsync(aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return BackendOutcome.Served(name);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return BackendOutcome.Failed(GatewayError.Unavailable($"The local model '{name}' failed to load."), name);
        }

        var (plan, error) = ChatPlanner.Plan(model, request.Chat, request.Adapter);
        if (error is not null)
        {
            return BackendOutcome.Failed(error, name);
        }

        if (route.Remote.Count > 0 && PredictedWait(model) > model.Options.MaxQueueWait)
        {
            return BackendOutcome.Failed(GatewayError.ModelOverloaded(name), name, OverloadRetryAfter);
        }

        IDisposable? slot;
        try
        {
            slot = await model.Scheduler.EnterAsync(aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return BackendOutcome.Served(name);
        }

        if (slot is null)
        {
            return BackendOutcome.Failed(GatewayError.ModelOverloaded(name), name, OverloadRetryAfter);
        }

        var events = GenerationLoop.Start(model, plan!.Generation, slot, aborted);
        var response = new ResponseIdentity("chatcmpl-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), request.Model);
        var check = new AnswerCheck(request.Chat, plan, route.Remote.Count > 0 && !request.AcceptLocalAsIs ? routing.CurrentValue : null);
        try
        {
            return plan.Buffered || !request.Stream
                ? await ServeWholeAsync(context, events, model, request.Stream, response, check)
                : await StreamTextAsync(context, events, plan, response, name);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return BackendOutcome.Served(name);
        }
        catch (OnnxRuntimeGenAIException ex) when (!context.Response.HasStarted && plan.Generation.Guidance is not null)
        {
            return BackendOutcome.Failed(
                GatewayError.InvalidRequest($"Constrained decoding cannot take this schema on the local model '{name}': {ex.Message}", SchemaParam(plan), "unsupported_schema"),
                name);
        }
    }

    /// <summary>Generates the whole answer, checks it when a remote model could take over, then sends it as JSON or as chunks.</summary>
    private static async Task<BackendOutcome> ServeWholeAsync(
        HttpContext context, ChannelReader<GenerationEvent> events, LocalModel model, bool stream, ResponseIdentity identity, AnswerCheck check)
    {
        var plan = check.Plan;
        var (text, logprobs, finished) = await CollectAsync(events, plan.Logprobs);
        var answer = plan.Buffered ? LocalAnswer.From(text, finished.FinishReason, plan, model.Syntax) : new LocalAnswer(text, null, finished.FinishReason);
        Trace(context, plan, finished);
        if (check.Thresholds is { } thresholds && LocalAnswerValidator.Check(answer, check.Request, plan, finished.Confidence, thresholds) is { } rejection)
        {
            if (context.Features.Get<RequestTrace>() is { } trace)
            {
                trace.Escalation = rejection.Kind;
            }

            return BackendOutcome.Failed(GatewayError.LocalAnswerRejected(rejection.Detail), model.Options.Name);
        }

        context.Response.Headers[GatewayHeaders.Model] = model.Options.Name;
        var usage = Usage(plan, finished);
        if (!stream)
        {
            await WriteJsonAsync(context, identity, answer, logprobs, usage, finished.Confidence);
            return BackendOutcome.Served(model.Options.Name);
        }

        SseChunkWriter.Start(context.Response);
        var sse = new SseChunkWriter(context.Response, identity.Id, identity.Created, identity.Model);
        await sse.WriteAsync(new ChunkDelta("assistant", answer.ToolCalls is null ? answer.Content : null, null), null, LogprobsOf(logprobs));
        if (answer.ToolCalls is { } calls)
        {
            if (answer.Content is { } content)
            {
                await sse.WriteAsync(new ChunkDelta(null, content, null));
            }

            for (var i = 0; i < calls.Count; i++)
            {
                var call = calls[i];
                await sse.WriteAsync(new ChunkDelta(null, null, [new ToolCallDelta(i, call.Id, "function", new FunctionCallDelta(call.Function!.Name, string.Empty))]));
                await sse.WriteAsync(new ChunkDelta(null, null, [new ToolCallDelta(i, null, null, new FunctionCallDelta(null, call.Function.Arguments))]));
            }
        }

        await FinishStreamAsync(sse, plan, answer.FinishReason, usage);
        return BackendOutcome.Served(model.Options.Name);
    }

    /// <summary>Free text, streamed token by token as it is generated (not checked: it is already on its way).</summary>
    private static async Task<BackendOutcome> StreamTextAsync(
        HttpContext context, ChannelReader<GenerationEvent> events, LocalChatPlan plan, ResponseIdentity identity, string name)
    {
        context.Response.Headers[GatewayHeaders.Model] = name;
        SseChunkWriter.Start(context.Response);
        var sse = new SseChunkWriter(context.Response, identity.Id, identity.Created, identity.Model);
        await sse.WriteAsync(new ChunkDelta("assistant", string.Empty, null));
        try
        {
            await foreach (var item in events.ReadAllAsync(context.RequestAborted))
            {
                switch (item)
                {
                    case TokenGenerated token when token.Text.Length > 0 || token.Logprob is not null:
                        await sse.WriteAsync(new ChunkDelta(null, token.Text, null), null, token.Logprob is { } lp ? new ChoiceLogprobs([lp]) : null);
                        break;
                    case GenerationFinished finished:
                        Trace(context, plan, finished);
                        await FinishStreamAsync(sse, plan, finished.FinishReason, Usage(plan, finished));
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await ErrorWriter.WriteSseEventAsync(context.Response, GatewayError.Unavailable($"Local generation failed: {ex.Message}").Error);
        }

        return BackendOutcome.Served(name);
    }

    internal static async Task<(string Text, List<TokenLogprob>? Logprobs, GenerationFinished Finished)> CollectAsync(
        ChannelReader<GenerationEvent> events, bool keepLogprobs)
    {
        var text = new StringBuilder();
        var logprobs = keepLogprobs ? new List<TokenLogprob>() : null;
        await foreach (var item in events.ReadAllAsync())
        {
            switch (item)
            {
                case TokenGenerated token:
                    text.Append(token.Text);
                    if (token.Logprob is { } lp)
                    {
                        logprobs?.Add(lp);
                    }

                    break;
                case GenerationFinished finished:
                    return (text.ToString(), logprobs, finished);
            }
        }

        throw new ChannelClosedException("The generation ended without finishing.");
    }

    private static async Task FinishStreamAsync(SseChunkWriter sse, LocalChatPlan plan, string finishReason, Usage usage)
    {
        await sse.WriteAsync(new ChunkDelta(null, null, null), finishReason);
        if (plan.IncludeUsage)
        {
            await sse.WriteUsageAsync(usage);
        }

        await sse.WriteDoneAsync();
    }

    private static async Task WriteJsonAsync(
        HttpContext context, ResponseIdentity identity, LocalAnswer answer, List<TokenLogprob>? logprobs, Usage usage, Confidence? confidence)
    {
        var body = new ChatCompletionResponse(
            identity.Id,
            "chat.completion",
            identity.Created,
            identity.Model,
            [new ChatChoice(0, new AssistantMessage("assistant", answer.Content, answer.ToolCalls, null), LogprobsOf(logprobs), answer.FinishReason)],
            usage,
            null);
        if (confidence is not null)
        {
            context.Response.Headers[GatewayHeaders.Confidence] = string.Create(
                CultureInfo.InvariantCulture, $"mean={confidence.MeanLogprob:F4}; min={confidence.MinLogprob:F4}");
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, body, WireJsonContext.Default.ChatCompletionResponse);
    }

    /// <summary>How long a request arriving now would wait for a slot: zero while one is free, unknown (zero) before any generation has completed.</summary>
    private static TimeSpan PredictedWait(LocalModel model)
    {
        var scheduler = model.Scheduler;
        return scheduler.Active < scheduler.MaxConcurrency || model.Counters.AverageDuration is not { } average
            ? TimeSpan.Zero
            : average * (scheduler.Queued + 1) / scheduler.MaxConcurrency;
    }

    private static ChoiceLogprobs? LogprobsOf(List<TokenLogprob>? logprobs) => logprobs is null ? null : new ChoiceLogprobs(logprobs);

    private static Usage Usage(LocalChatPlan plan, GenerationFinished finished)
    {
        var prompt = plan.Generation.PromptTokens.Length;
        return new Usage(prompt, finished.CompletionTokens, prompt + finished.CompletionTokens);
    }

    private static void Trace(HttpContext context, LocalChatPlan plan, GenerationFinished finished)
    {
        if (context.Features.Get<RequestTrace>() is not { } trace)
        {
            return;
        }

        (trace.InputTokens, trace.OutputTokens) = (plan.Generation.PromptTokens.Length, finished.CompletionTokens);
        if (finished.CompletionTokens > 0)
        {
            trace.FirstTokenSeconds = finished.FirstTokenSeconds;
            trace.PerOutputTokenSeconds = finished.CompletionTokens > 1
                ? (finished.LastTokenSeconds - finished.FirstTokenSeconds) / (finished.CompletionTokens - 1)
                : null;
        }

        (trace.ConfidenceMean, trace.ConfidenceMin) = (finished.Confidence?.MeanLogprob, finished.Confidence?.MinLogprob);
    }

    private static string SchemaParam(LocalChatPlan plan) =>
        plan.Mode == OutputMode.GuidedToolCall ? "tools" : "response_format";

    /// <summary>What every chunk or response of one completion shares.</summary>
    private sealed record ResponseIdentity(string Id, long Created, string Model);

    /// <summary>What a whole answer is checked against; no thresholds when there is no remote model to escalate to.</summary>
    private sealed record AnswerCheck(ChatCompletionRequest Request, LocalChatPlan Plan, RoutingOptions? Thresholds);
}
