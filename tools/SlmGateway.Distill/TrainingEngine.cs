using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlmGateway.Distill;

/// <summary>
/// Runs the training engine, <c>Engine/train_decoder.py</c> (PyTorch), as a child process on the
/// tokenized examples, forwarding its progress lines as the <c>train</c> stage.
/// </summary>
internal static class TrainingEngine
{
    // Half the draws of an example with copied values make them up afresh (the other half show the
    // values as the agent sent them). Weather asks, 343 examples, 40 held back: 36 exact after 8,000
    // steps (without: 15-29% after 4,000 in four runs).
    private const double CopyShare = 0.5;

    // An answer token that copies a value from the ask weighs ten times the answer's frame in the loss:
    // a city is 5-10 of the answer's ~100 tokens, so without it the frame's gradient drowns the copy's.
    // PyTorch-only runs on 400 weather asks, exact of 40 held back after 5,000 of 8,000 steps, seeds
    // 2/3/4: 39/39/40 with it, 37/29 without (seeds 2/3); unit conversion seed 1: 40 with, 38 without.
    private const double CopyWeight = 10;

    // Rows of the copy drill (made-up values repeated) trained beside each batch of a task that copies
    // values. PyTorch-only, weather seed 3: 40/40 held back at step 2,500 with it, 28/40 at 3,000
    // without; contact extraction, never above 0/40 before, 10/40 at step 3,000.
    private const int CopyDrillRows = 16;

    // Share of the draws of an example with values of fields with few values that swaps them for
    // other values of their fields (ValueSwaps).
    private const double SwapShare = 0.5;

    /// <summary>
    /// Trains one candidate per weights path side by side (seeds <see cref="DistillJob.Seed"/> + its index,
    /// the job's threads and memory shared out) and writes each one's weights; returns the steps each trained
    /// (fewer than the job's when its time ran out).
    /// </summary>
    public static int[] Train(DistillJob job, string examplesPath, string swapTablePath, IReadOnlyList<string> weightsPaths, ProgressWriter progress)
    {
        var processes = new List<Process>();
        try
        {
            for (var candidate = 0; candidate < weightsPaths.Count; candidate++)
            {
                processes.Add(StartEngine(StartInfo(job, examplesPath, swapTablePath, weightsPaths[candidate], candidate, weightsPaths.Count), job.Python));
            }

            var trained = processes.Select((process, candidate) => Task.Run(() => Follow(process, weightsPaths.Count > 1 ? candidate : null, progress))).ToArray();
            var pending = trained.ToList();
            while (pending.Count > 0)
            {
                // The first candidate that fails fails the job; the finally stops the others.
                var ended = pending[Task.WaitAny([.. pending])];
                ended.GetAwaiter().GetResult();
                pending.Remove(ended);
            }

            return trained.Select(task => task.Result).ToArray();
        }
        finally
        {
            foreach (var process in processes)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                process.Dispose();
            }
        }
    }

    private static ProcessStartInfo StartInfo(DistillJob job, string examplesPath, string swapTablePath, string weightsPath, int candidate, int candidates)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Engine", "train_decoder.py");
        var shape = new JsonObject
        {
            ["vocab_size"] = SpecialistDistiller.VocabularySize,
            ["hidden_size"] = job.Shape.HiddenSize,
            ["layers"] = job.Shape.Layers,
            ["heads"] = job.Shape.Heads,
            ["kv_heads"] = job.Shape.KvHeads,
            ["intermediate_size"] = job.Shape.IntermediateSize,
        };
        var start = new ProcessStartInfo(job.Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // PyTorch already spreads each step over its own threads; OpenBLAS's second thread pool on top
        // of them leaves the cores spinning in sched_yield (40 steps of the default shape: 5.3 s, 2.1 s with one BLAS thread).
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        foreach (var argument in (string[])[
            script, "--data", examplesPath, "--shape", shape.ToJsonString(), "--out", weightsPath,
            "--steps", Invariant(job.Steps), "--batch-size", Invariant(job.BatchSize), "--learning-rate", Invariant(job.LearningRate),
            "--seed", Invariant(job.Seed + candidate), "--threads", Invariant(Math.Max(1, job.Threads / candidates)), "--max-seconds", Invariant(job.MaxSeconds),
            "--copy-alphabet", CopyAlphabet(), "--copy-share", Invariant(CopyShare), "--copy-weight", Invariant(CopyWeight),
            "--copy-drill-rows", Invariant(CopyDrillRows), "--swap-table", swapTablePath, "--swap-share", Invariant(SwapShare),
            "--max-memory-mb", Invariant(job.MaxMemoryMb / candidates)])
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>Forwards a candidate's progress until it exits; returns the steps it trained, or throws with its last error line.</summary>
    private static int Follow(Process process, int? candidate, ProgressWriter progress)
    {
        var errors = process.StandardError.ReadToEndAsync();
        var trained = 0;
        while (process.StandardOutput.ReadLine() is { } line)
        {
            trained = Forward(line, candidate, progress) ?? trained;
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var tail = errors.Result.Trim().Split('\n').LastOrDefault() ?? string.Empty;
            throw new InvalidDataException($"The training engine exited with code {process.ExitCode}: {tail}");
        }

        return trained;
    }

    private static Process StartEngine(ProcessStartInfo start, string python)
    {
        try
        {
            return Process.Start(start) ?? throw new InvalidDataException($"The training engine '{python}' could not be started.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidDataException($"The training engine '{python}' could not be started: {ex.Message}", ex);
        }
    }

    /// <summary>Passes a progress line on as the <c>train</c> stage; returns the step it reports, if any.</summary>
    private static int? Forward(string line, int? candidate, ProgressWriter progress)
    {
        try
        {
            if (JsonNode.Parse(line) is JsonObject fields)
            {
                var step = fields["step"] is JsonValue value && value.TryGetValue<int>(out var number) ? number : (int?)null;
                if (candidate is { } index)
                {
                    fields["candidate"] = index;
                }

                progress.Stage("train", fields);
                return step;
            }
        }
        catch (JsonException)
        {
            // Not a progress line (a library's own output): left out of the job's progress.
        }

        return null;
    }

    /// <summary>Token ids of the byte-level vocabulary (a byte's id is the byte) that copied values and the copy drill are made of.</summary>
    private static string CopyAlphabet() => new JsonObject
    {
        ["lower"] = Ids(CopyAugmentation.Alphabet.Lower),
        ["upper"] = Ids(CopyAugmentation.Alphabet.Upper),
        ["digits"] = Ids(CopyAugmentation.Alphabet.Digits),
        ["filler"] = Ids(Enumerable.Range(' ', '~' - ' ' + 1).Where(id => id != '"')),
        ["quote"] = (int)'"',
        ["separator"] = (int)'\n',
        ["end"] = SpecialistDistiller.EndOfTurn,
    }.ToJsonString();

    private static JsonArray Ids(IEnumerable<int> ids) => new(ids.Select(id => (JsonNode)id).ToArray());

    private static string Invariant(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
}
