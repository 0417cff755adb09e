using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using SlmGateway.Conversion;
using SlmGateway.Conversion.Redaction;

namespace SlmGateway.Benchmarks.Privacy;

/// <summary>
/// Runs a labelled file of texts (JSON Lines: <c>text</c>, <c>secrets</c> that must not survive,
/// <c>keep</c> that must) through the capture path's redaction, each text as a user message and as a
/// tool call's arguments, and prints every leak and loss.
/// </summary>
internal static class RedactionEvaluation
{
    public static int Run(string[] args)
    {
        var at = Array.IndexOf(args, "--file");
        var file = at >= 0 && at + 1 < args.Length ? args[at + 1] : Path.Combine(AppContext.BaseDirectory, "Privacy", "redaction-dev.jsonl");
        var redactor = new PiiRedactor(Options.Create(new LoopOptions()));
        var (texts, secrets, kept, leaks, losses) = (0, 0, 0, 0, 0);
        foreach (var line in File.ReadLines(file).Where(line => line.Trim().Length > 0))
        {
            var labelled = JsonNode.Parse(line)!;
            var text = (string)labelled["text"]!;
            var redacted = Redacted(redactor, text);
            texts++;
            foreach (var secret in labelled["secrets"]!.AsArray().Select(s => (string)s!))
            {
                secrets++;
                if (redacted.Any(value => value.Contains(secret, StringComparison.Ordinal)))
                {
                    leaks++;
                    Console.WriteLine($"LEAK  {secret}\n      in: {text}\n      as: {redacted[0]}");
                }
            }

            foreach (var keep in labelled["keep"]!.AsArray().Select(k => (string)k!))
            {
                kept++;
                if (!redacted.All(value => value.Contains(keep, StringComparison.Ordinal)))
                {
                    losses++;
                    Console.WriteLine($"LOSS  {keep}\n      in: {text}\n      as: {redacted[0]}");
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{texts} texts: {secrets - leaks} of {secrets} secrets removed ({leaks} leaked), {kept - losses} of {kept} ordinary values kept ({losses} lost)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cost: {CostMicroseconds(redactor, file):F0} us per text (as message and arguments), median of 5 passes"));
        return leaks == 0 && losses == 0 ? 0 : 1;
    }

    private static double CostMicroseconds(PiiRedactor redactor, string file)
    {
        var texts = File.ReadLines(file).Where(line => line.Trim().Length > 0).Select(line => (string)JsonNode.Parse(line)!["text"]!).ToArray();
        var passes = new double[5];
        for (var pass = 0; pass < passes.Length; pass++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            foreach (var text in texts)
            {
                Redacted(redactor, text);
            }

            passes[pass] = clock.Elapsed.TotalMicroseconds / texts.Length;
        }

        return Measurement.Stats.Median(passes);
    }

    /// <summary>The text as a user message and as a tool call's arguments, redacted as capture redacts a request (remembering no text): both results, as text.</summary>
    private static string[] Redacted(PiiRedactor redactor, string text)
    {
        var request = new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = text },
                new JsonObject
                {
                    ["role"] = "assistant",
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["id"] = "call_1",
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = "save_note", ["arguments"] = new JsonObject { ["note"] = text }.ToJsonString() },
                    }),
                }),
        };
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output))
        {
            if (!new StreamingJsonRedactor(RememberedRedactions.None(redactor.RedactJsonString)).TryRedact(System.Text.Encoding.UTF8.GetBytes(request.ToJsonString()), writer))
            {
                throw new InvalidOperationException("A request without repeated names was refused.");
            }
        }

        var redacted = JsonNode.Parse(output.WrittenSpan)!;
        var content = (string)redacted["messages"]![0]!["content"]!;
        var arguments = JsonNode.Parse((string)redacted["messages"]![1]!["tool_calls"]![0]!["function"]!["arguments"]!)!;
        return [content, (string)arguments["note"]!];
    }
}
