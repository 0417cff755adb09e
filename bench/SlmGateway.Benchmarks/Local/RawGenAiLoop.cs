using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace SlmGateway.Benchmarks.Local;

/// <summary>
/// The baseline: ONNX Runtime GenAI's own generate loop with nothing around it, greedy, decoding
/// each token to text as a server would. Same model, threads and prompt as the gateway.
/// </summary>
internal sealed class RawGenAiLoop : IDisposable
{
    private readonly Model _model;
    private readonly Tokenizer _tokenizer;

    public RawGenAiLoop(string path, int threads)
    {
        using var config = new Config(path);
        config.ClearProviders();
        config.Overlay("{\"model\":{\"decoder\":{\"session_options\":{\"intra_op_num_threads\":" + threads.ToString(CultureInfo.InvariantCulture) + "}}}}");
        _model = new Model(config);
        _tokenizer = new Tokenizer(_model);
    }

    /// <summary>The prompt text the model's chat template makes of the messages.</summary>
    public string Render(string messagesJson) => _tokenizer.ApplyChatTemplate(null, messagesJson, null, true);

    public int[] Encode(string prompt)
    {
        using var sequences = _tokenizer.Encode(prompt);
        return sequences[0].ToArray();
    }

    public StreamTiming Generate(int[] prompt, int tokens)
    {
        var start = Stopwatch.GetTimestamp();
        using var parameters = Parameters(prompt.Length + tokens, 1);
        using var generator = new Generator(_model, parameters);
        generator.AppendTokens(prompt);
        using var decoder = _tokenizer.CreateStream();
        var (count, first) = (0, 0d);
        while (!generator.IsDone() && count < tokens)
        {
            generator.GenerateNextToken();
            decoder.Decode(generator.GetNextTokens()[0]);
            if (++count == 1)
            {
                first = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }

        return new StreamTiming(first, Stopwatch.GetElapsedTime(start).TotalMilliseconds, count);
    }

    /// <summary>Several generators on the one model, each on its own thread.</summary>
    public AggregateRun Parallel(int[] prompt, int tokens, int streams)
    {
        var start = Stopwatch.GetTimestamp();
        var threads = Enumerable.Range(0, streams).Select(_ => Task.Factory.StartNew(() => Generate(prompt, tokens), TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(threads);
        return new AggregateRun(threads.Sum(thread => thread.Result.Tokens), Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    /// <summary>Static batching: one generator over several copies of the prompt, one step for all of them.</summary>
    public AggregateRun Batch(string prompt, int tokens, int batch)
    {
        var start = Stopwatch.GetTimestamp();
        using var sequences = _tokenizer.EncodeBatch(Enumerable.Repeat(prompt, batch).ToArray());
        using var parameters = Parameters(sequences[0].Length + tokens, batch);
        using var generator = new Generator(_model, parameters);
        generator.AppendTokenSequences(sequences);
        var steps = 0;
        while (!generator.IsDone() && steps < tokens)
        {
            generator.GenerateNextToken();
            steps++;
        }

        return new AggregateRun(steps * batch, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    public void Dispose()
    {
        _tokenizer.Dispose();
        _model.Dispose();
    }

    private GeneratorParams Parameters(int maxLength, int batch)
    {
        var parameters = new GeneratorParams(_model);
        parameters.SetSearchOption("max_length", maxLength);
        parameters.SetSearchOption("min_length", maxLength);
        parameters.SetSearchOption("do_sample", false);
        parameters.SetSearchOption("batch_size", batch);
        return parameters;
    }
}
