using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SlmGateway.Backends.Onnx.ToolCalls;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Backends.Onnx.Models;

/// <summary>Stops start-up on a local model that cannot be served, naming the model and the problem.</summary>
internal sealed class LocalOptionsValidator(IConfiguration configuration) : IValidateOptions<LocalOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalOptions options)
    {
        var failures = ListBinding.Failures<LocalModelOptions>(configuration, LocalOptions.Section + ":Models").ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var model in options.Models)
        {
            var label = string.IsNullOrWhiteSpace(model.Name) ? "(unnamed)" : model.Name;
            if (string.IsNullOrWhiteSpace(model.Name))
            {
                failures.Add("Every local model needs a Name.");
            }
            else if (!names.Add(model.Name))
            {
                failures.Add($"Local model name '{model.Name}' is used twice.");
            }

            if (ToolCallSyntaxes.Find(model.Family) is null)
            {
                failures.Add($"Local model '{label}': Family '{model.Family}' is not one of {string.Join(", ", ToolCallSyntaxes.Families)}.");
            }

            if (model.Provider is not ("cpu" or "cuda"))
            {
                failures.Add($"Local model '{label}': Provider '{model.Provider}' is not 'cpu' or 'cuda'.");
            }

            if (model.MaxConcurrency < 1 || model.QueueLength < 0 || model.Threads < 0 || model.ContextLength < 0
                || model.MaxOutputTokens < 1 || model.GuidedMaxStringLength < 1)
            {
                failures.Add($"Local model '{label}': MaxConcurrency, MaxOutputTokens and GuidedMaxStringLength must be at least 1; QueueLength, Threads and ContextLength must not be negative.");
            }

            if (model.MaxGenerationTime <= TimeSpan.Zero || model.MaxGenerationTime > TimeSpan.FromDays(1))
            {
                failures.Add($"Local model '{label}': MaxGenerationTime must be positive and at most a day.");
            }

            if (model.MaxQueueWait <= TimeSpan.Zero)
            {
                failures.Add($"Local model '{label}': MaxQueueWait must be positive.");
            }

            ValidateAdapters(model, label, failures);
            if (string.IsNullOrWhiteSpace(model.Path))
            {
                failures.Add($"Local model '{label}': Path is empty.");
            }
            else if (ModelFolder.Inspect(model.Path).Problem is { } problem)
            {
                failures.Add($"Local model '{label}': {problem}.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateAdapters(LocalModelOptions model, string label, List<string> failures)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var adapter in model.Adapters)
        {
            if (string.IsNullOrWhiteSpace(adapter.Name) || !names.Add(adapter.Name))
            {
                failures.Add($"Local model '{label}': every adapter needs a Name of its own ('{adapter.Name}').");
            }

            if (!File.Exists(adapter.Path))
            {
                failures.Add($"Local model '{label}': adapter '{adapter.Name}' file '{adapter.Path}' does not exist.");
            }

            if (adapter.Clusters.Count == 0)
            {
                failures.Add($"Local model '{label}': adapter '{adapter.Name}' lists no Clusters to serve.");
            }
        }
    }
}
