using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlmGateway.Conversion.Distillation;

/// <summary>
/// The specialists distilled so far, <c>specialists.json</c> in the output folder: each model's name,
/// folder and cluster, so that a restarted gateway serves them again.
/// </summary>
internal sealed class SpecialistManifest(string outputPath)
{
    private readonly Lock _lock = new();

    private string FilePath => Path.Combine(outputPath, "specialists.json");

    public IReadOnlyList<(string Name, string Folder, long ClusterId)> Read()
    {
        lock (_lock)
        {
            if (!File.Exists(FilePath) || JsonNode.Parse(File.ReadAllText(FilePath)) is not JsonArray entries)
            {
                return [];
            }

            return entries.OfType<JsonObject>()
                .Select(entry => (entry["name"]!.GetValue<string>(), entry["folder"]!.GetValue<string>(), entry["cluster"]!.GetValue<long>()))
                .ToList();
        }
    }

    public void Add(string name, string folder, long clusterId)
    {
        lock (_lock)
        {
            var entries = File.Exists(FilePath) && JsonNode.Parse(File.ReadAllText(FilePath)) is JsonArray existing ? existing : [];
            entries.Add(new JsonObject { ["name"] = name, ["folder"] = folder, ["cluster"] = clusterId });
            var temporary = FilePath + ".tmp";
            File.WriteAllText(temporary, entries.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.Move(temporary, FilePath, overwrite: true);
        }
    }
}
