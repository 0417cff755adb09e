using System.Globalization;
using Microsoft.ML.OnnxRuntimeGenAI;
using SlmGateway.Backends.Onnx.ToolCalls;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Backends.Onnx.Models;

/// <summary>A loaded model: the GenAI model and tokenizer shared by all its generations, and its admission queue.</summary>
internal sealed class LocalModel : IDisposable
{
    private LocalModel(LocalModelOptions options, ModelFolder folder, Model model, Tokenizer tokenizer, Adapters? adapters)
    {
        Options = options;
        Adapters = adapters;
        Folder = folder;
        Model = model;
        Tokenizer = tokenizer;
        Syntax = ToolCallSyntaxes.Find(options.Family)!;
        Scheduler = new GenerationScheduler(options.MaxConcurrency, options.QueueLength);
        Threads = new GenerationThreads(options.Name, options.MaxConcurrency);
        ContextLength = options.ContextLength > 0 ? Math.Min(options.ContextLength, folder.ContextLength) : folder.ContextLength;
        EndOfSequence = tokenizer.GetEosTokenIds().ToArray().ToHashSet();
    }

    public LocalModelOptions Options { get; }

    public ModelFolder Folder { get; }

    public Model Model { get; }

    public Tokenizer Tokenizer { get; }

    /// <summary>The model's LoRA adapters, loaded by name; null when it has none.</summary>
    public Adapters? Adapters { get; }

    public IToolCallSyntax Syntax { get; }

    public GenerationScheduler Scheduler { get; }

    public GenerationThreads Threads { get; }

    public GenerationCounters Counters { get; } = new();

    public int ContextLength { get; }

    public IReadOnlySet<int> EndOfSequence { get; }

    /// <summary>Loads the model on the configured provider; throws if the provider or the model cannot be loaded.</summary>
    public static LocalModel Load(LocalModelOptions options, ModelFolder folder)
    {
        using var config = new Config(folder.Path);
        config.ClearProviders();
        if (options.Provider == "cuda")
        {
            config.AppendProvider("cuda");
        }

        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        config.Overlay("{\"model\":{\"decoder\":{\"session_options\":{\"intra_op_num_threads\":" + threads.ToString(CultureInfo.InvariantCulture) + "}}}}");
        var model = new Model(config);
        Adapters? adapters = null;
        try
        {
            adapters = LoadAdapters(options, model);
            return new LocalModel(options, folder, model, new Tokenizer(model), adapters);
        }
        catch
        {
            adapters?.Dispose();
            model.Dispose();
            throw;
        }
    }

    private static Adapters? LoadAdapters(LocalModelOptions options, Model model)
    {
        if (options.Adapters.Count == 0)
        {
            return null;
        }

        var adapters = new Adapters(model);
        foreach (var adapter in options.Adapters)
        {
            try
            {
                adapters.LoadAdapter(adapter.Path, adapter.Name);
            }
            catch (OnnxRuntimeGenAIException ex)
            {
                adapters.Dispose();
                throw new InvalidOperationException($"adapter '{adapter.Name}' at '{adapter.Path}' could not be loaded: {ex.Message}", ex);
            }
        }

        return adapters;
    }

    public void Dispose()
    {
        Threads.Dispose();
        Scheduler.Dispose();
        Tokenizer.Dispose();
        Adapters?.Dispose();
        Model.Dispose();
    }
}
