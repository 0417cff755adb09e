using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.ML.OnnxRuntimeGenAI;
using SlmGateway.Backends.Onnx.Generation;
using SlmGateway.Backends.Onnx.Models;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>
/// Serves one local candidate of a route plan: admission (<see cref="LocalAdmission"/>), the plan for
/// the model, generation off the request thread, then the answer (<see cref="LocalAnswerWriter"/>).
/// Free text streams as it is generated; answers that may be tool calls or must be JSON are generated
/// in full first and checked against the candidate's bar, so nothing is committed before they are
/// known to be well formed. Nothing is sent before the first token, so a candidate whose first token
/// is late can be abandoned.
/// </summary>
internal sealed class LocalBackend(LocalModelRegistry registry) : IRequestBackend
{
    public async ValueTask<BackendOutcome> ServeAsync(GatewayRequest request, ModelRoute route, RouteCandidate candidate, HttpContext context)
    {
        var name = candidate.Model;
        if (request.Endpoint != ApiEndpoint.ChatCompletions || request.Chat is null)
        {
            return BackendOutcome.Failed(
                FailureKinds.Unsupported, GatewayError.InvalidRequest($"The local model '{name}' serves /v1/chat/completions only.", "model", "unsupported_endpoint"), AttemptReport.Empty);
        }

        var aborted = context.RequestAborted;
        using var firstToken = candidate.FirstTokenDeadline is not null ? CancellationTokenSource.CreateLinkedTokenSource(aborted) : null;
        firstToken?.CancelAfter(candidate.FirstTokenDeadline!.Value);
        var cancellation = firstToken?.Token ?? aborted;
        LocalChatPlan? plan = null;
        try
        {
            var (model, loadFailure) = await LocalAdmission.ModelAsync(registry, name, cancellation);
            if (loadFailure is { } failed)
            {
                return failed;
            }

            (plan, var error) = ChatPlanner.Plan(model!, request.Chat, request.Shape ?? RequestShape.Of(request.Chat), candidate.Adapter);
            if (error is not null)
            {
                return BackendOutcome.Failed(FailureKinds.Unsupported, error, AttemptReport.Empty);
            }

            var (slot, overloaded) = await LocalAdmission.SlotAsync(model!, candidate.MaySpill, cancellation);
            if (overloaded is { } busy)
            {
                return busy;
            }

            var events = GenerationLoop.Start(model!, plan!.Generation, slot!, cancellation);
            await events.WaitToReadAsync(cancellation);
            firstToken?.CancelAfter(Timeout.InfiniteTimeSpan);
            var identity = new ResponseIdentity("chatcmpl-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), request.Model);
            context.Response.Headers[GatewayHeaders.Model] = name;
            return plan.Buffered || !request.Stream
                ? await ServeWholeAsync(context, events, model!, request, candidate, plan, identity)
                : Served(plan, await LocalAnswerWriter.StreamTextAsync(context, events, plan, identity));
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return BackendOutcome.Served(AttemptReport.Empty);
        }
        catch (OperationCanceledException) when (firstToken is { IsCancellationRequested: true } && !context.Response.HasStarted)
        {
            return BackendOutcome.Failed(
                FailureKinds.FirstTokenLate,
                GatewayError.GatewayTimeout($"The local model '{name}' did not produce its first token within {candidate.FirstTokenDeadline!.Value.TotalSeconds:0.###} s."),
                AttemptReport.Empty);
        }
        catch (OnnxRuntimeGenAIException ex) when (!context.Response.HasStarted && plan?.Generation.Guidance is not null)
        {
            return BackendOutcome.Failed(
                FailureKinds.Unsupported,
                GatewayError.InvalidRequest($"Constrained decoding cannot take this schema on the local model '{name}': {ex.Message}", SchemaParam(plan), "unsupported_schema"),
                AttemptReport.Empty);
        }
    }

    /// <summary>Generates the whole answer, checks it against the candidate's bar when it has one, then sends it as JSON or as chunks.</summary>
    private static async Task<BackendOutcome> ServeWholeAsync(
        HttpContext context, ChannelReader<GenerationEvent> events, LocalModel model, GatewayRequest request, RouteCandidate candidate, LocalChatPlan plan, ResponseIdentity identity)
    {
        var (text, logprobs, finished) = await GenerationLoop.CollectAsync(events, plan.Logprobs);
        var answer = plan.Buffered ? LocalAnswer.From(text, finished.FinishReason, plan, model.Syntax) : new LocalAnswer(text, null, finished.FinishReason);
        var report = Report(plan, finished);
        if (candidate.Validate is { } bar && LocalAnswerValidator.Check(answer, request.Chat!, plan, model.Options, finished.Confidence, bar) is { } rejection)
        {
            return BackendOutcome.Failed(FailureKinds.Rejected, GatewayError.LocalAnswerRejected(rejection.Detail), report with { Escalation = rejection.Kind });
        }

        var usage = LocalAnswerWriter.Usage(plan, finished);
        if (request.Stream)
        {
            await LocalAnswerWriter.StreamWholeAsync(context, identity, answer, logprobs, plan, usage);
        }
        else
        {
            await LocalAnswerWriter.WriteJsonAsync(context, identity, answer, logprobs, usage, finished.Confidence);
        }

        return BackendOutcome.Served(report);
    }

    private static BackendOutcome Served(LocalChatPlan plan, GenerationFinished? finished) =>
        BackendOutcome.Served(finished is null ? AttemptReport.Empty : Report(plan, finished));

    /// <summary>Tokens, timing and confidence of a finished generation.</summary>
    private static AttemptReport Report(LocalChatPlan plan, GenerationFinished finished) => new()
    {
        InputTokens = plan.Generation.PromptTokens.Length,
        OutputTokens = finished.CompletionTokens,
        FirstTokenSeconds = finished.CompletionTokens > 0 ? finished.FirstTokenSeconds : null,
        PerOutputTokenSeconds = finished.CompletionTokens > 1
            ? (finished.LastTokenSeconds - finished.FirstTokenSeconds) / (finished.CompletionTokens - 1)
            : null,
        ConfidenceMean = finished.Confidence?.MeanLogprob,
        ConfidenceMin = finished.Confidence?.MinLogprob,
    };

    private static string SchemaParam(LocalChatPlan plan) =>
        plan.Mode == OutputMode.GuidedToolCall ? "tools" : "response_format";
}
