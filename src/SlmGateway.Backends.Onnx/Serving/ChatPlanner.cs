using System.Text.Json;
using Microsoft.ML.OnnxRuntimeGenAI;
using SlmGateway.Backends.Onnx.Generation;
using SlmGateway.Backends.Onnx.Guidance;
using SlmGateway.Backends.Onnx.Models;
using SlmGateway.Backends.Onnx.Prompting;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Routing;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>Checks a chat request against one local model's limits and turns it into a generation plan.</summary>
internal static class ChatPlanner
{
    private const double DefaultTemperature = 1.0;

    public static (LocalChatPlan? Plan, GatewayError? Error) Plan(LocalModel model, ChatCompletionRequest request, RequestShape shape, string? adapter = null)
    {
        var name = model.Options.Name;
        if (request.N is { } n && n != 1)
        {
            return Fail($"The local model '{name}' generates one choice per request; 'n' must be 1.", "n", "unsupported_value");
        }

        var (maxTokens, maxParam) = request.MaxCompletionTokens is { } completion
            ? (completion, "max_completion_tokens")
            : (request.MaxTokens ?? model.Options.MaxOutputTokens, "max_tokens");
        if (maxTokens > model.Options.MaxOutputTokens)
        {
            return Fail($"'{maxParam}' is {maxTokens}; the local model '{name}' writes at most {model.Options.MaxOutputTokens} tokens.", maxParam, "invalid_value");
        }

        var renderTools = shape.ToolChoice != ToolChoiceKind.None;
        var (messages, contentError) = ChatPromptBuilder.Messages(request.Messages!);
        if (contentError is not null)
        {
            return (null, contentError);
        }

        string prompt;
        try
        {
            prompt = model.Tokenizer.ApplyChatTemplate(null, messages!, renderTools ? ChatPromptBuilder.Tools(request.Tools) : null, true);
        }
        catch (OnnxRuntimeGenAIException ex)
        {
            return Fail($"The chat template of the local model '{name}' rejected the messages: {ex.Message}", "messages", "invalid_value");
        }

        using var sequences = model.Tokenizer.Encode(prompt);
        var promptTokens = sequences[0].ToArray();
        var room = model.ContextLength - promptTokens.Length;
        if (room < 1)
        {
            return Fail($"The prompt is {promptTokens.Length} tokens; the local model '{name}' has a context of {model.ContextLength}.", "messages", "context_length_exceeded");
        }

        if (SchemaProblem(model, request, renderTools) is { } schemaError)
        {
            return (null, schemaError);
        }

        var (mode, guidance) = Output(model, request, shape);
        var generation = new GenerationPlan(
            promptTokens,
            Math.Min(maxTokens, room),
            request.Temperature ?? DefaultTemperature,
            request.TopP ?? 1.0,
            request.Seed,
            request.Stop?.Sequences ?? [],
            guidance,
            request.Logprobs == true ? request.TopLogprobs ?? 0 : null,
            MeasureConfidence: true) { Adapter = adapter };
        var plan = new LocalChatPlan(
            generation,
            shape,
            mode,
            request.ParallelToolCalls ?? true,
            request.StreamOptions?.IncludeUsage == true,
            request.Logprobs == true);
        return (plan, null);
    }

    private static (OutputMode Mode, GuidanceSpec? Guidance) Output(
        LocalModel model, ChatCompletionRequest request, RequestShape shape)
    {
        var limits = new GuidanceLimits(model.Options.GuidedMaxStringLength, model.Options.MaxOutputTokens);
        var guided = model.Options.Guidance;
        if (shape.CallRequired)
        {
            return guided
                ? (OutputMode.GuidedToolCall, new GuidanceSpec("json_schema", GuidanceSchema.ForToolCall(request.Tools!, shape.NamedTool, limits)))
                : (OutputMode.ToolCallsInText, null);
        }

        if (request.ResponseFormat is { Type: "json_object" or "json_schema" } format)
        {
            return (OutputMode.Json, guided ? new GuidanceSpec("json_schema", GuidanceSchema.ForResponseFormat(format, limits)) : null);
        }

        return (shape.ToolChoice != ToolChoiceKind.None ? OutputMode.ToolCallsInText : OutputMode.Text, null);
    }

    /// <summary>A 400 for a tool or response schema that the local model cannot take (see <see cref="SchemaCheck"/>).</summary>
    private static GatewayError? SchemaProblem(LocalModel model, ChatCompletionRequest request, bool renderTools)
    {
        var maxCount = model.Options.MaxOutputTokens;
        if (renderTools)
        {
            for (var i = 0; i < request.Tools!.Count; i++)
            {
                if (request.Tools[i].Function!.Parameters is { Kind: JsonValueKind.Object } parameters
                    && SchemaCheck.Problem(parameters.Element, maxCount) is { } problem)
                {
                    return Unsupported("tools", $"tools[{i}].function.parameters", problem, model.Options.Name);
                }
            }
        }

        return request.ResponseFormat is { Type: "json_schema", JsonSchema.Schema: { Kind: JsonValueKind.Object } schema }
            && SchemaCheck.Problem(schema.Element, maxCount) is { } formatProblem
            ? Unsupported("response_format", "response_format.json_schema.schema", formatProblem, model.Options.Name)
            : null;
    }

    private static GatewayError Unsupported(string param, string field, string problem, string model) =>
        GatewayError.InvalidRequest($"The local model '{model}' cannot take the schema in '{field}': {problem}.", param, "unsupported_schema");

    private static (LocalChatPlan?, GatewayError?) Fail(string message, string param, string code) =>
        (null, GatewayError.InvalidRequest(message, param, code));
}
