using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using SlmGateway.Backends.Onnx.Generation;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Core.Execution;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>What every chunk or response of one completion shares.</summary>
internal sealed record ResponseIdentity(string Id, long Created, string Model);

/// <summary>Writes a local answer in OpenAI's shape: whole as JSON, whole as chunks, or free text token by token.</summary>
internal static class LocalAnswerWriter
{
    public static async Task WriteJsonAsync(
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

    /// <summary>A whole answer as chunks: tool calls as <c>index</c>/<c>id</c>/<c>type</c>/<c>function.name</c> then <c>function.arguments</c>.</summary>
    public static async Task StreamWholeAsync(HttpContext context, ResponseIdentity identity, LocalAnswer answer, List<TokenLogprob>? logprobs, LocalChatPlan plan, Usage usage)
    {
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
    }

    /// <summary>Free text, streamed token by token as it is generated; the finished generation, or null when it broke off.</summary>
    public static async Task<GenerationFinished?> StreamTextAsync(HttpContext context, ChannelReader<GenerationEvent> events, LocalChatPlan plan, ResponseIdentity identity)
    {
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
                        await FinishStreamAsync(sse, plan, finished.FinishReason, Usage(plan, finished));
                        return finished;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await ErrorWriter.WriteSseEventAsync(context.Response, Contracts.Errors.GatewayError.Unavailable($"Local generation failed: {ex.Message}").Error);
        }

        return null;
    }

    public static Usage Usage(LocalChatPlan plan, GenerationFinished finished)
    {
        var prompt = plan.Generation.PromptTokens.Length;
        return new Usage(prompt, finished.CompletionTokens, prompt + finished.CompletionTokens);
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

    private static ChoiceLogprobs? LogprobsOf(List<TokenLogprob>? logprobs) => logprobs is null ? null : new ChoiceLogprobs(logprobs);
}
