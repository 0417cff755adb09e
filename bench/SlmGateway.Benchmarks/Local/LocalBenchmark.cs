using System.Diagnostics;
using System.Globalization;
using SlmGateway.Benchmarks.Measurement;
using SlmGateway.ModelGen;

namespace SlmGateway.Benchmarks.Local;

/// <summary>
/// The gateway's local path against a raw ORT GenAI loop, in one run, on one random-weight model
/// of Qwen2.5-0.5B's shape (int4) generated for the benchmark. Both use the same threads, prompt
/// and greedy decoding; the gateway runs as it ships, in its own process, over HTTP streaming.
/// </summary>
internal static class LocalBenchmark
{
    private const string ModelName = "bench-qwen";
    private const string Messages = """
        [{"role":"system","content":"You are an extraction service. Answer with one JSON object with the fields name, company, email and phone; use null when a field is missing."},
         {"role":"user","content":"Hi team, this is Dana Whitfield from Larkspur Logistics. Please send the revised quote for the Q3 freight contract to dana.whitfield@larkspur.example or call me at +1 415 555 0134. Thanks!"}]
        """;

    private const string ShortMessages = """[{"role":"user","content":"Say hi."}]""";
    private static readonly Uri GatewayUrl = new("http://127.0.0.1:5103/");

    // ONNX Runtime's pool threads spin for a while after a generation; the side measured right after
    // the other shared the cores with them (measured without this pause: whichever side went second
    // in a pair took 14-23 ms more to the first token of the short prompt).
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);

    public static async Task<int> RunAsync(LocalArguments options)
    {
        EnsureModel(options.ModelDirectory);
        var allCores = $"0-{Environment.ProcessorCount - 1}";
        Console.WriteLine($"{options.Tokens} tokens per answer, {options.Threads} threads, {options.Repeats} repeats, concurrency {string.Join(',', options.Concurrency)}, {Environment.ProcessorCount} cores");

        using var raw = new RawGenAiLoop(options.ModelDirectory, options.Threads);
        var promptText = raw.Render(Messages.ReplaceLineEndings(" "));
        var prompt = raw.Encode(promptText);
        Console.WriteLine($"prompt: {prompt.Length} tokens");

        // One whole answer on each side before the repeats: the first one runs while code is still
        // being compiled (measured: the gateway's first stream at 0.81x the raw loop's, later ones 0.98-1.01x).
        raw.Generate(prompt, options.Tokens);

        await using var gateway = await ChildProcess.StartAsync(
            "gateway", new Uri(GatewayUrl, "readyz"), allCores, "dotnet",
            Path.Combine(AppContext.BaseDirectory, "SlmGateway.dll"),
            $"--Urls={GatewayUrl.ToString().TrimEnd('/')}",
            $"--SlmGateway:Local:Models:0:Name={ModelName}",
            $"--SlmGateway:Local:Models:0:Path={options.ModelDirectory}",
            $"--SlmGateway:Local:Models:0:Threads={options.Threads}",
            $"--SlmGateway:Local:Models:0:MaxConcurrency={options.Concurrency.Max()}",
            $"--SlmGateway:Local:Models:0:MaxOutputTokens={options.Tokens}",
            "--SlmGateway:Local:Models:0:RandomWeights=true");
        using var client = new GatewayStreamClient(GatewayUrl, ModelName);
        var messages = Messages.ReplaceLineEndings(" ");
        await client.GenerateAsync(messages, options.Tokens);

        var results = new Dictionary<string, List<double>>();
        async Task<StreamTiming> RawAsync(int[] tokens, int count)
        {
            await Task.Delay(Settle);
            return raw.Generate(tokens, count);
        }

        async Task<StreamTiming> GatewayAsync(string messagesJson, int count)
        {
            await Task.Delay(Settle);
            return await client.GenerateAsync(messagesJson, count);
        }

        void Add(string key, double value) => (results.TryGetValue(key, out var list) ? list : results[key] = []).Add(value);

        for (var repeat = 1; repeat <= options.Repeats; repeat++)
        {
            // Which side goes first alternates: a slow spell of the machine that starts or ends
            // within a repeat then does not always fall on the same side.
            StreamTiming rawSingle, gatewaySingle;
            if (repeat % 2 == 1)
            {
                rawSingle = await RawAsync(prompt, options.Tokens);
                gatewaySingle = await GatewayAsync(messages, options.Tokens);
            }
            else
            {
                gatewaySingle = await GatewayAsync(messages, options.Tokens);
                rawSingle = await RawAsync(prompt, options.Tokens);
            }

            Check(rawSingle.Tokens, options.Tokens, "raw");
            Check(gatewaySingle.Tokens, options.Tokens, "gateway");
            Add("raw tok/s", rawSingle.DecodeTokensPerSecond);
            Add("gateway tok/s", gatewaySingle.DecodeTokensPerSecond);
            Add("raw TTFT", rawSingle.FirstTokenMs);
            Add("gateway TTFT", gatewaySingle.FirstTokenMs);
            Add("raw x1", new AggregateRun(rawSingle.Tokens, rawSingle.LastTokenMs).TokensPerSecond);
            Add("gateway x1", new AggregateRun(gatewaySingle.Tokens, gatewaySingle.LastTokenMs).TokensPerSecond);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"  repeat {repeat}: 1 stream  raw {rawSingle.DecodeTokensPerSecond:F1} tok/s TTFT {rawSingle.FirstTokenMs:F1} ms | gateway {gatewaySingle.DecodeTokensPerSecond:F1} tok/s TTFT {gatewaySingle.FirstTokenMs:F1} ms");
            foreach (var streams in options.Concurrency.Where(c => c > 1))
            {
                await Task.Delay(Settle);
                var rawParallel = raw.Parallel(prompt, options.Tokens, streams);
                await Task.Delay(Settle);
                var rawBatch = raw.Batch(promptText, options.Tokens, streams);
                await Task.Delay(Settle);
                var gatewayParallel = await client.ParallelAsync(messages, options.Tokens, streams);
                Add($"raw x{streams}", rawParallel.TokensPerSecond);
                Add($"raw batch {streams}", rawBatch.TokensPerSecond);
                Add($"gateway x{streams}", gatewayParallel.TokensPerSecond);
                line += string.Create(CultureInfo.InvariantCulture,
                    $" || {streams} at once: raw {rawParallel.TokensPerSecond:F1}, raw batch {rawBatch.TokensPerSecond:F1}, gateway {gatewayParallel.TokensPerSecond:F1} tok/s");
            }

            Console.WriteLine(line);
        }

        var shortPrompt = raw.Encode(raw.Render(ShortMessages));
        for (var sample = 0; sample < options.FirstTokenSamples; sample++)
        {
            double rawFirst, gatewayFirst;
            if (sample % 2 == 0)
            {
                rawFirst = (await RawAsync(shortPrompt, 1)).FirstTokenMs;
                gatewayFirst = (await GatewayAsync(ShortMessages, 1)).FirstTokenMs;
            }
            else
            {
                gatewayFirst = (await GatewayAsync(ShortMessages, 1)).FirstTokenMs;
                rawFirst = (await RawAsync(shortPrompt, 1)).FirstTokenMs;
            }

            Add("raw short TTFT", rawFirst);
            Add("gateway short TTFT", gatewayFirst);
            Add("short TTFT added", gatewayFirst - rawFirst);
        }

        Report(results, options, gateway.RssMiB(), Process.GetCurrentProcess().WorkingSet64 / 1048576.0);
        return 0;
    }

    private static void EnsureModel(string directory)
    {
        if (File.Exists(Path.Combine(directory, "genai_config.json")))
        {
            Console.WriteLine($"model: {directory} (generated earlier)");
            return;
        }

        var started = Stopwatch.StartNew();
        ModelFolderWriter.Write(DecoderShape.Qwen25HalfB, 1, directory);
        var size = new DirectoryInfo(directory).GetFiles().Sum(file => file.Length) / 1048576.0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model: generated {DecoderShape.Qwen25HalfB.Preset} int4 at {directory}: {size:F0} MiB in {started.Elapsed.TotalSeconds:F1} s"));
    }

    private static void Check(int generated, int expected, string who)
    {
        if (generated != expected)
        {
            throw new InvalidOperationException($"{who} generated {generated} tokens instead of {expected}; the comparison would be unfair.");
        }
    }

    private static void Report(Dictionary<string, List<double>> results, LocalArguments options, double gatewayRss, double rawProcessRss)
    {
        double Median(string key) => Stats.Median(results[key]);
        string Cell(string key) => string.Create(CultureInfo.InvariantCulture, $"{Median(key),8:F1} ({Stats.SpreadPercent(results[key]),4:F1}%)");

        Console.WriteLine();
        Console.WriteLine("medians of the repeats (spread = (max - min) / median)");
        Console.WriteLine($"{"",-26} {"raw loop",-17} {"gateway",-17} gateway/raw");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"1 stream, tok/s",-26} {Cell("raw tok/s")} {Cell("gateway tok/s")} {Median("gateway tok/s") / Median("raw tok/s"),8:F3}x"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"time to first token, ms",-26} {Cell("raw TTFT")} {Cell("gateway TTFT")} {Median("gateway TTFT") - Median("raw TTFT"),+8:F1} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"first token, short prompt",-26} {Cell("raw short TTFT")} {Cell("gateway short TTFT")} {Median("gateway short TTFT") - Median("raw short TTFT"),+8:F1} ms  ({options.FirstTokenSamples} alternating samples; fastest raw {results["raw short TTFT"].Min():F1}, gateway {results["gateway short TTFT"].Min():F1} ms; median of the paired differences {Median("short TTFT added"):+0.0;-0.0} ms)"));
        Console.WriteLine("tokens/s in all = tokens of all answers / wall time from the first request to the last token (prompt included)");
        foreach (var streams in options.Concurrency.Where(c => c > 1).Prepend(1))
        {
            var batch = streams > 1
                ? string.Create(CultureInfo.InvariantCulture, $"; raw static batch {Cell($"raw batch {streams}")} = {Median($"raw batch {streams}") / Median("raw x1"):F2}x raw at 1")
                : string.Empty;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{$"{streams} at once, tok/s in all",-26} {Cell($"raw x{streams}")} {Cell($"gateway x{streams}")} {Median($"gateway x{streams}") / Median($"raw x{streams}"),8:F3}x   gateway at {streams} / gateway at 1: {Median($"gateway x{streams}") / Median("gateway x1"):F2}x{batch}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RSS: gateway process {gatewayRss:F0} MiB; benchmark process with the raw loop's model {rawProcessRss:F0} MiB"));
    }
}
