using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntimeGenAI;
using SlmGateway.ModelGen;

namespace SlmGateway.Distill;

/// <summary>
/// Picks the candidate to keep among those a job trained: each is written as a GenAI model folder and
/// answers the selection split; the most exact wins, the lowest seed on a tie.
/// </summary>
internal static class CandidateChooser
{
    public static (int Chosen, int[] SelectionExact) Choose(
        DecoderShape shape, IReadOnlyList<string> weightsPaths, IReadOnlyList<TokenizedExample> selection, string workDir, ProgressWriter progress)
    {
        var exact = new int[weightsPaths.Count];
        if (weightsPaths.Count == 1)
        {
            return (0, exact);
        }

        progress.Stage("select", new JsonObject { ["candidates"] = weightsPaths.Count, ["selection"] = selection.Count });
        for (var candidate = 0; candidate < weightsPaths.Count; candidate++)
        {
            var folder = Path.Combine(workDir, $"candidate-{candidate}");
            ModelFolderWriter.Write(shape, new TrainedWeights(weightsPaths[candidate]), folder, ChatMlTemplate.Specialist, SpecialistDistiller.Producer);
            using var model = new Model(folder);
            exact[candidate] = SpecialistEvaluator.Evaluate(model, selection, missesKept: 0).Exact;
        }

        return (Array.IndexOf(exact, exact.Max()), exact);
    }
}
