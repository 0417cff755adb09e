using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using SlmGateway.Benchmarks.Measurement;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Conversion;
using SlmGateway.Conversion.Capture;
using SlmGateway.Conversion.Clustering;
using SlmGateway.Conversion.Redaction;
using SlmGateway.Conversion.Store;
using SlmGateway.Tests.Common;

namespace SlmGateway.Benchmarks.Conversion;

/// <summary>
/// What the capture writer spends on one call, on the development data's requests: making its stored
/// form (redaction, answer, task signature and hash) with every text new to the writer and with every
/// text seen before (an agent resending its tools, system prompt and conversation); the request alone
/// redacted as a JSON tree (how capture redacted until 2026-12) and in one pass, remembering no text;
/// and the store insert (SQLite, batches of 64). Time and allocation per call, median of the passes.
/// </summary>
internal static class CaptureCost
{
    private const int Batch = 64;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    public static int Run(string[] args)
    {
        var data = Replay.Option(args, "--data") ?? Path.Combine("..", "shared", "data");
        var passes = int.Parse(Replay.Option(args, "--passes") ?? "9", CultureInfo.InvariantCulture);
        var calls = ReplayTraffic.FromDevelopmentData(data).Select(Captured).ToArray();
        var options = new LoopOptions { Capture = { ConnectionString = $"Data Source={Path.Combine(Path.GetTempPath(), $"slmgw-capture-cost-{Environment.ProcessId}.db")}" } };
        var monitor = new TestOptionsMonitor<LoopOptions>(options);
        var redactor = new PiiRedactor(Options.Create(options));
        CallProcessor Processor() => new(redactor, null!, new ClusterIndex(monitor), null!, monitor);
        Console.WriteLine($"{calls.Length} calls of the development data, {calls.Average(c => c.Request!.Length):F0} bytes a request on average, {passes} passes");

        Report("request alone, as a tree", Measure(passes, calls.Length, () =>
        {
            foreach (var call in calls)
            {
                redactor.Redact(JsonTree.Parse(call.Request))!.ToJsonString();
            }
        }));
        var output = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(output);
        var onePass = new StreamingJsonRedactor(RememberedRedactions.None(redactor.RedactJsonString));
        Report("request alone, in one pass", Measure(passes, calls.Length, () =>
        {
            foreach (var call in calls)
            {
                output.ResetWrittenCount();
                writer.Reset(output);
                onePass.TryRedact(call.Request, writer);
                writer.Flush();
                Encoding.UTF8.GetString(output.WrittenSpan);
            }
        }));
        Report("stored form, every text new", Measure(passes, calls.Length, () =>
        {
            var processor = Processor();
            foreach (var call in calls)
            {
                processor.Process(call);
            }
        }));
        var warm = Processor();
        var records = calls.Select(call => warm.Process(call).Record).ToList();
        Report("stored form, texts seen before", Measure(passes, calls.Length, () =>
        {
            foreach (var call in calls)
            {
                warm.Process(call);
            }
        }));

        using var store = new TraceStore(Options.Create(options));
        var ids = new long[Batch];
        var inserted = records.Count / Batch * Batch;
        Report("store insert (SQLite)", Measure(passes, inserted, () =>
        {
            for (var i = 0; i < inserted; i += Batch)
            {
                store.InsertCapturesAsync(records.GetRange(i, Batch), ids, CancellationToken.None).GetAwaiter().GetResult();
            }
        }));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(options.Capture.ConnectionString["Data Source=".Length..]);
        return 0;
    }

    private static CapturedCall Captured(ReplayCall call)
    {
        var request = Encoding.UTF8.GetBytes(call.Request.ToJsonString());
        var answer = new JsonObject
        {
            ["id"] = "chatcmpl-bench",
            ["object"] = "chat.completion",
            ["created"] = 1_700_000_000,
            ["model"] = "gpt-4o-mini",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = call.Answer.DeepClone(), ["finish_reason"] = "stop" }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 100, ["completion_tokens"] = 20, ["total_tokens"] = 120 },
        };

        // The front door hands over the request it parsed, as it does for every chat call.
        return new CapturedCall(DateTimeOffset.UtcNow, "bench", "gpt-4o-mini", "remote", "explicit_model", 200, 100, 100, 20, null, false, request, Encoding.UTF8.GetBytes(answer.ToJsonString()))
        {
            Chat = JsonSerializer.Deserialize(request, WireJsonContext.Default.ChatCompletionRequest),
        };
    }

    /// <summary>Microseconds and KB allocated per call of each pass, after passes for a few seconds not counted (until the JIT has optimised the code).</summary>
    private static (double[] Microseconds, double[] Kilobytes) Measure(int passes, int count, Action pass)
    {
        for (var warming = Stopwatch.StartNew(); warming.Elapsed < WarmUp;)
        {
            pass();
        }

        var (microseconds, kilobytes) = (new double[passes], new double[passes]);
        for (var i = 0; i < passes; i++)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            pass();
            microseconds[i] = clock.Elapsed.TotalMicroseconds / count;
            kilobytes[i] = (GC.GetAllocatedBytesForCurrentThread() - allocated) / 1024.0 / count;
        }

        return (microseconds, kilobytes);
    }

    private static void Report(string what, (double[] Microseconds, double[] Kilobytes) cost) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {what,-32} {Stats.Median(cost.Microseconds),8:F1} us a call (passes {string.Join(" ", cost.Microseconds.Select(m => m.ToString("F0", CultureInfo.InvariantCulture)))}), {Stats.Median(cost.Kilobytes),6:F1} KB allocated"));
}
