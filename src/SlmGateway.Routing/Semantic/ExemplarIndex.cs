using System.Numerics.Tensors;
using System.Reflection;
using System.Text.Json;

namespace SlmGateway.Routing.Semantic;

/// <summary>
/// Labelled exemplar tasks, embedded once, and a k-nearest-neighbour vote over them: the share of
/// similarity that the nearest local exemplars hold among the nearest k.
/// </summary>
internal sealed class ExemplarIndex
{
    private const int Neighbours = 7;
    private readonly float[][] _embeddings;
    private readonly bool[] _local;

    public ExemplarIndex(Func<string, float[]> embed, IReadOnlyList<(string Text, bool Local)> exemplars)
    {
        _embeddings = exemplars.Select(exemplar => embed(exemplar.Text)).ToArray();
        _local = exemplars.Select(exemplar => exemplar.Local).ToArray();
    }

    public int Count => _local.Length;

    /// <summary>Probability that local suffices for a task with this embedding.</summary>
    public double LocalProbability(ReadOnlySpan<float> embedding)
    {
        var nearest = new List<(float Similarity, bool Local)>(Neighbours + 1);
        for (var i = 0; i < _embeddings.Length; i++)
        {
            var similarity = TensorPrimitives.Dot(embedding, _embeddings[i]);
            if (nearest.Count == Neighbours && similarity <= nearest[^1].Similarity)
            {
                continue;
            }

            var at = nearest.FindIndex(entry => entry.Similarity < similarity);
            nearest.Insert(at < 0 ? nearest.Count : at, (similarity, _local[i]));
            if (nearest.Count > Neighbours)
            {
                nearest.RemoveAt(nearest.Count - 1);
            }
        }

        var total = nearest.Sum(entry => Math.Max(entry.Similarity, 0f));
        return total <= 0 ? 0.5 : nearest.Where(entry => entry.Local).Sum(entry => Math.Max(entry.Similarity, 0f)) / total;
    }

    /// <summary>The built-in exemplars, or a user's JSON Lines file of <c>{"text", "label"}</c>.</summary>
    public static IReadOnlyList<(string Text, bool Local)> Load(string? file)
    {
        using var stream = file is null
            ? Assembly.GetExecutingAssembly().GetManifestResourceStream("SlmGateway.Routing.default-exemplars.jsonl")!
            : File.OpenRead(file);
        using var reader = new StreamReader(stream);
        var exemplars = new List<(string, bool)>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var document = JsonDocument.Parse(line);
            var label = document.RootElement.GetProperty("label").GetString();
            if (label is not ("local" or "remote"))
            {
                throw new InvalidDataException($"Exemplar label must be 'local' or 'remote', not '{label}'.");
            }

            exemplars.Add((document.RootElement.GetProperty("text").GetString()!, label == "local"));
        }

        return exemplars;
    }
}
