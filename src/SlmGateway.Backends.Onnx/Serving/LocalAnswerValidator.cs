using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using SlmGateway.Backends.Onnx.Generation;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Routing;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>
/// Checks a local answer before it leaves, when a remote model could take over: a required tool call
/// is there, every call names a declared tool with arguments valid against its schema, JSON output
/// is valid against the requested schema, the model's grounded fields hold values taken from the
/// request (<see cref="AnswerGrounding"/>), its fields with few values hold a value that goes with
/// the request (<see cref="FieldValueEvidence"/>), and the model was confident enough.
/// </summary>
internal static class LocalAnswerValidator
{
    /// <summary>Why the answer must not be served (<c>tool_call</c>, <c>schema</c>, <c>grounding</c>, <c>field_value</c> or <c>confidence</c>, with details), or null.</summary>
    public static (string Kind, string Detail)? Check(
        LocalAnswer answer, ChatCompletionRequest request, LocalChatPlan plan, LocalModelOptions model, Confidence? confidence, AnswerBar bar)
    {
        if (plan.Mode is OutputMode.ToolCallsInText or OutputMode.GuidedToolCall && ToolCallProblem(answer, request, plan) is { } toolProblem)
        {
            return ("tool_call", toolProblem);
        }

        if (plan.Mode == OutputMode.Json && SchemaProblem(answer.Content, request.ResponseFormat!) is { } schemaProblem)
        {
            return ("schema", schemaProblem);
        }

        if (AnswerGrounding.Problem(answer.ToolCalls, answer.Content, request, model.GroundedFields) is { } ungrounded)
        {
            return ("grounding", ungrounded);
        }

        if (FieldValueEvidence.Problem(answer.ToolCalls, answer.Content, request, model.FieldValues, model.DifferentFields) is { } unlikelyValue)
        {
            return ("field_value", unlikelyValue);
        }

        if (confidence is not null && (confidence.MeanLogprob < bar.MinConfidenceMean || confidence.MinLogprob < bar.MinConfidenceMin))
        {
            return ("confidence", FormattableString.Invariant($"mean token log-probability {confidence.MeanLogprob:F2}, minimum {confidence.MinLogprob:F2}"));
        }

        return null;
    }

    private static string? ToolCallProblem(LocalAnswer answer, ChatCompletionRequest request, LocalChatPlan plan)
    {
        if (answer.BrokenCall)
        {
            return "the answer begins a tool call that does not parse";
        }

        if (answer.ToolCalls is not { Count: > 0 } calls)
        {
            return plan.Mode == OutputMode.GuidedToolCall || plan.Shape.CallRequired
                ? "a tool call was required and the answer has none"
                : null;
        }

        foreach (var call in calls)
        {
            var tool = request.Tools?.Find(t => t.Function?.Name == call.Function!.Name);
            if (tool is null)
            {
                return $"the call names '{call.Function!.Name}', which is not a declared tool";
            }

            if (tool.Function!.Parameters is { Kind: JsonValueKind.Object } parameters && Invalid(call.Function!.Arguments, parameters) is { } problem)
            {
                return $"the arguments of '{call.Function.Name}' do not match its schema ({problem})";
            }
        }

        return null;
    }

    private static string? SchemaProblem(string? content, ResponseFormat format)
    {
        if (format.Type == "json_schema" && format.JsonSchema?.Schema is { Kind: JsonValueKind.Object } schema)
        {
            return Invalid(content, schema);
        }

        try
        {
            return JsonNode.Parse(content ?? string.Empty) is JsonObject ? null : "the answer is not a JSON object";
        }
        catch (JsonException)
        {
            return "the answer is not JSON";
        }
    }

    private static string? Invalid(string? json, RawJsonValue schema)
    {
        JsonNode? instance;
        try
        {
            instance = JsonNode.Parse(json ?? string.Empty);
        }
        catch (JsonException)
        {
            return "not JSON";
        }

        var result = JsonSchema.FromText(Encoding.UTF8.GetString(schema.Utf8.Span)).Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return result.IsValid
            ? null
            : string.Join("; ", result.Details.Where(detail => detail.Errors is { Count: > 0 }).SelectMany(detail => detail.Errors!.Select(error => $"{detail.InstanceLocation}: {error.Value}")).Take(3));
    }
}
