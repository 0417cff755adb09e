using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntimeGenAI;
using SlmGateway.ModelGen;

namespace SlmGateway.Distill;

/// <summary>
/// The job's stages: write the specialist's tokenizer and chat template, tokenize the examples as the
/// gateway will render them (redaction placeholders filled with surrogates, copied values marked:
/// <see cref="TrainingSet"/>), train (the engine process, one per candidate), keep the candidate most
/// exact on the selection split (<see cref="CandidateChooser"/>), write its weights as a GenAI model
/// folder, answer the held-back examples with it, and write <c>distill_report.json</c> last (with the
/// answer fields the teacher took from the request, which the gateway then checks): a folder with a
/// report is complete.
/// </summary>
internal static class SpecialistDistiller
{
    public const int VocabularySize = 259;
    public const string ReportFile = "distill_report.json";
    public const string Producer = "slmgw-distill";

    // Held-back answers the report shows when the specialist got them wrong, for the operator to read.
    private const int MissesKept = 5;

    /// <summary>The id of the token that ends a turn (and an answer) in the specialist's vocabulary.</summary>
    public static readonly int EndOfTurn = new ByteLevelVocabulary(VocabularySize).Specials[ByteLevelVocabulary.ImEnd];

    public static int Run(DistillJob job, ProgressWriter progress)
    {
        IdlePriority.Lower();
        var started = Stopwatch.StartNew();
        var shape = new DecoderShape(
            "specialist", VocabularySize, job.Shape.HiddenSize, job.Shape.Layers, job.Shape.Heads, job.Shape.KvHeads, job.Shape.IntermediateSize, job.Shape.ContextLength);
        var work = Directory.CreateDirectory(job.ScratchDir);
        try
        {
            progress.Stage("prepare");
            ModelFolderWriter.Write(shape, new RandomWeights(VocabularySize, job.Seed, new HashSet<int>()), work.FullName, ChatMlTemplate.Specialist, "slmgw-distill tokenizer");
            TrainingSet set;
            using (var model = new Model(work.FullName))
            using (var tokenizer = new Tokenizer(model))
            {
                set = TrainingSet.Read(job, tokenizer, EndOfTurn, shape.ContextLength);
            }

            if (set.Training.Count == 0)
            {
                progress.Failed($"no usable training examples in {job.TrainingFile} ({set.Skipped} skipped)");
                return 1;
            }

            var examplesPath = Path.Combine(work.FullName, "examples.jsonl");
            File.WriteAllLines(examplesPath, set.Training.Select(example => new JsonObject
            {
                ["ids"] = new JsonArray(example.Ids.Select(id => (JsonNode)id).ToArray()),
                ["target_start"] = example.TargetStart,
                ["copies"] = new JsonArray(example.Copies.Select(span => (JsonNode)new JsonArray(span.Start, span.Length)).ToArray()),
                ["swaps"] = new JsonArray(example.Swaps.Select(slot => (JsonNode)new JsonArray(
                    slot.Field, slot.Value, slot.AskStart, slot.AskLength, slot.AnswerStart, slot.AnswerLength)).ToArray()),
            }.ToJsonString()));
            var swapTable = Path.Combine(work.FullName, "swaps.json");
            File.WriteAllText(swapTable, JsonSerializer.Serialize(set.SwapFields, DistillJob.Json));
            progress.Stage("tokenized", new JsonObject
            {
                ["training"] = set.Training.Count,
                ["with_copied_values"] = set.Training.Count(example => example.Copies.Count > 0),
                ["with_swapped_values"] = set.Training.Count(example => example.Swaps.Count > 0),
                ["validation"] = set.Validation.Count,
                ["skipped"] = set.Skipped,
            });

            var trainingStarted = started.Elapsed;
            var candidates = set.Selection.Count > 0 ? job.Candidates : 1;
            var weights = Enumerable.Range(0, candidates).Select(candidate => Path.Combine(work.FullName, $"weights-{candidate}")).ToList();
            var stepsTrained = TrainingEngine.Train(job, examplesPath, swapTable, weights, progress);
            var trainingSeconds = (started.Elapsed - trainingStarted).TotalSeconds;
            var (chosen, selectionExact) = CandidateChooser.Choose(shape, weights, set.Selection, work.FullName, progress);

            progress.Stage("write");
            Directory.CreateDirectory(job.OutputDir);
            File.Delete(Path.Combine(job.OutputDir, ReportFile));
            ModelFolderWriter.Write(shape, new TrainedWeights(weights[chosen]), job.OutputDir, ChatMlTemplate.Specialist, Producer);

            progress.Stage("evaluate", new JsonObject { ["validation"] = set.Validation.Count });
            int exact;
            List<AnswerMiss> misses;
            using (var trained = new Model(job.OutputDir))
            {
                (exact, misses) = SpecialistEvaluator.Evaluate(trained, set.Validation, MissesKept);
            }

            var report = new JsonObject
            {
                ["training_examples"] = set.Training.Count,
                ["with_copied_values"] = set.Training.Count(example => example.Copies.Count > 0),
                ["with_swapped_values"] = set.Training.Count(example => example.Swaps.Count > 0),
                ["validation_examples"] = set.Validation.Count,
                ["skipped_examples"] = set.Skipped,
                ["validation_exact"] = exact,
                ["validation_exact_share"] = set.Validation.Count == 0 ? null : Math.Round((double)exact / set.Validation.Count, 4),
                ["validation_misses"] = JsonSerializer.SerializeToNode(misses, DistillJob.Json),
                ["selection_examples"] = set.Selection.Count,
                ["candidates"] = new JsonArray(Enumerable.Range(0, candidates).Select(candidate => (JsonNode)new JsonObject
                {
                    ["seed"] = job.Seed + candidate,
                    ["steps_trained"] = stepsTrained[candidate],
                    ["selection_exact"] = set.Selection.Count == 0 ? null : selectionExact[candidate],
                }).ToArray()),
                ["chosen_seed"] = job.Seed + chosen,
                ["steps"] = job.Steps,
                ["steps_trained"] = stepsTrained[chosen],
                ["training_seconds"] = Math.Round(trainingSeconds, 1),
                ["total_seconds"] = Math.Round(started.Elapsed.TotalSeconds, 1),
                ["model_bytes"] = new FileInfo(Path.Combine(job.OutputDir, ModelFolderWriter.ModelFile)).Length,
                ["shape"] = JsonSerializer.SerializeToNode(job.Shape, DistillJob.Json),
                ["grounded_fields"] = new JsonArray(set.Grounded.Select(field => (JsonNode)field).ToArray()),
                ["copied_fields"] = new JsonArray(set.Copied.Select(field => (JsonNode)field).ToArray()),
                ["swapped_fields"] = new JsonArray(set.SwapFields.Select(field => (JsonNode)field.Field).ToArray()),
                ["field_values"] = JsonSerializer.SerializeToNode(set.FieldValues, DistillJob.Json),
                ["different_fields"] = JsonSerializer.SerializeToNode(set.DifferentFields, DistillJob.Json),
            };
            File.WriteAllText(Path.Combine(job.OutputDir, ReportFile), report.ToJsonString(DistillJob.Json));
            progress.Stage("done", report);
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
