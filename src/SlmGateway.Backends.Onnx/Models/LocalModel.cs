using System.Globalization;
using Microsoft.ML.OnnxRuntimeGenAI;
using SlmGateway.Backends.Onnx.ToolCalls;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Backends.Onnx.Models;

/// <summary>A loaded model: the GenAI model and tokenizer shared by all its generations, and its admission queue.</summary>
internal sealed class LocalModel : IDisposable
{
    private LocalModel(LocalModelOptions options, ModelFolder folder, Model model, Tokenizer tokenizer)
    {
        Options = options;
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
        try
        {
            return new LocalModel(options, folder, model, new Tokenizer(model));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Threads.Dispose();
        Scheduler.Dispose();
        Tokenizer.Dispose();
        Model.Dispose();
    }
}
