using System.Diagnostics;
using Microsoft.ML.OnnxRuntimeGenAI;
using SlmGateway.Backends.Onnx.Generation;
using SlmGateway.Backends.Onnx.Models;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Routing;
using SlmGateway.Core.Ports;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>
/// Answers a request with a local model for shadow evaluation: only when the model is loaded and
/// idle (nothing running, nothing queued), so live traffic never waits behind a shadow run.
/// </summary>
internal sealed class ShadowAnswerGenerator(LocalModelRegistry registry) : ILocalAnswerGenerator
{
    public async ValueTask<LocalShadowAnswer?> TryAnswerAsync(string model, string? adapter, ChatCompletionRequest request, CancellationToken cancellationToken)
    {
        if (registry.Find(model) is not { IsCompletedSuccessfully: true } loading)
        {
            return null;
        }

        var local = loading.Result;
        if (local.Scheduler.Active > 0 || local.Scheduler.Queued > 0)
        {
            return null;
        }

        var (plan, error) = ChatPlanner.Plan(local, request, RequestShape.Of(request), adapter);
        if (error is not null)
        {
            return new LocalShadowAnswer(null, null, "unsupported", TimeSpan.Zero);
        }

        var slot = await local.Scheduler.EnterAsync(cancellationToken);
        if (slot is null)
        {
            return null;
        }

        var started = Stopwatch.GetTimestamp();
        var events = GenerationLoop.Start(local, plan!.Generation, slot, cancellationToken);
        string text;
        GenerationFinished finished;
        try
        {
            (text, _, finished) = await GenerationLoop.CollectAsync(events, keepLogprobs: false);
        }
        catch (OnnxRuntimeGenAIException)
        {
            // The engine refused the request (a schema its constrained decoder cannot compile): as unsupported as a plan error.
            return new LocalShadowAnswer(null, null, "unsupported", Stopwatch.GetElapsedTime(started));
        }

        var answer = plan.Buffered ? LocalAnswer.From(text, finished.FinishReason, plan, local.Syntax) : new LocalAnswer(text, null, finished.FinishReason);
        var rejection = LocalAnswerValidator.Check(answer, request, plan, local.Options, null, AnswerBar.FormOnly);
        return new LocalShadowAnswer(answer.Content, answer.ToolCalls, rejection?.Kind, Stopwatch.GetElapsedTime(started));
    }
}
