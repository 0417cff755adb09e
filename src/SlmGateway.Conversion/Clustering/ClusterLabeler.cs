using System.Text.RegularExpressions;

namespace SlmGateway.Conversion.Clustering;

/// <summary>
/// Names a cluster by what its calls share: the tools offered most often, and the words of the
/// users' asks that are frequent in this cluster and rare in the others (tf-idf over clusters).
/// </summary>
internal static partial class ClusterLabeler
{
    private const int TopTools = 3;
    private const int TopTerms = 5;

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "and", "for", "with", "that", "this", "what", "from", "are", "was", "were", "you", "your", "can", "will", "how", "have", "has",
        "its", "into", "about", "which", "their", "they", "them", "then", "than", "also", "would", "could", "should", "please", "give", "find",
        "get", "use", "using", "given", "need", "want", "like", "some", "any", "all", "our", "not", "but", "there", "these", "those", "when",
        "where", "who", "why", "tools", "user", "system", "does", "did", "make", "tell", "show", "let", "know",
    };

    /// <summary>Labels for each cluster from its calls' tool lists and signatures.</summary>
    public static Dictionary<long, ClusterLabel> Label(IReadOnlyDictionary<long, List<(string? Tools, string? Signature)>> calls)
    {
        var termsByCluster = calls.ToDictionary(c => c.Key, c => Terms(c.Value.Select(v => AskOf(v.Signature))));
        var clustersWithTerm = termsByCluster.Values.SelectMany(t => t.Keys).GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var total = Math.Max(1, calls.Count);
        return calls.ToDictionary(
            c => c.Key,
            c =>
            {
                var tools = c.Value
                    .SelectMany(v => (v.Tools ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
                    .GroupBy(t => t, StringComparer.Ordinal)
                    .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                    .Take(TopTools).Select(g => g.Key).ToList();
                var terms = termsByCluster[c.Key]
                    .OrderByDescending(t => t.Value * Math.Log(1.0 + (double)total / clustersWithTerm[t.Key])).ThenBy(t => t.Key, StringComparer.Ordinal)
                    .Take(TopTerms).Select(t => t.Key).ToList();
                return new ClusterLabel(tools, terms);
            });
    }

    private static string AskOf(string? signature)
    {
        if (signature is null)
        {
            return string.Empty;
        }

        var start = signature.IndexOf("user: ", StringComparison.Ordinal);
        if (start < 0)
        {
            return string.Empty;
        }

        var end = signature.IndexOf('\n', start);
        return end < 0 ? signature[(start + 6)..] : signature[(start + 6)..end];
    }

    private static Dictionary<string, int> Terms(IEnumerable<string> asks)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var ask in asks)
        {
            foreach (Match word in Word().Matches(ask.ToLowerInvariant()))
            {
                if (!StopWords.Contains(word.Value))
                {
                    counts[word.Value] = counts.GetValueOrDefault(word.Value) + 1;
                }
            }
        }

        return counts;
    }

    [GeneratedRegex(@"\b[a-z][a-z\-]{2,}\b", RegexOptions.CultureInvariant)]
    private static partial Regex Word();
}

/// <summary>What a cluster is about: its most offered tools and its distinctive terms.</summary>
internal sealed record ClusterLabel(IReadOnlyList<string> Tools, IReadOnlyList<string> Terms);
