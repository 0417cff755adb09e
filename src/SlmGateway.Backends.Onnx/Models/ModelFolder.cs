using System.Text.Json;

namespace SlmGateway.Backends.Onnx.Models;

/// <summary>What start-up checks in a model folder before loading it: the files GenAI needs, and the numbers it will read.</summary>
internal sealed record ModelFolder(string Path, int ContextLength, int VocabSize)
{
    public const string ConfigFile = "genai_config.json";
    public const string TokenizerFile = "tokenizer.json";
    public const string TokenizerConfigFile = "tokenizer_config.json";

    /// <summary>
    /// A relative path is looked for in the working directory and then in each directory above it,
    /// so <c>models/…</c> is found from anywhere inside a checkout (<c>dotnet run</c> starts in the project folder).
    /// </summary>
    public static string Resolve(string path)
    {
        if (System.IO.Path.IsPathRooted(path))
        {
            return path;
        }

        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = System.IO.Path.Combine(directory.FullName, path);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return System.IO.Path.GetFullPath(path);
    }

    /// <summary>Reads the folder, or says in one sentence what is wrong with it.</summary>
    public static (ModelFolder? Folder, string? Problem) Inspect(string path)
    {
        var full = Resolve(path);
        if (!Directory.Exists(full))
        {
            return (null, $"the folder '{full}' does not exist");
        }

        foreach (var required in new[] { ConfigFile, TokenizerFile, TokenizerConfigFile })
        {
            if (!File.Exists(System.IO.Path.Combine(full, required)))
            {
                return (null, $"'{full}' has no {required}; a GenAI model folder needs {ConfigFile}, the ONNX model, {TokenizerFile} and {TokenizerConfigFile}");
            }
        }

        try
        {
            using var config = JsonDocument.Parse(File.ReadAllBytes(System.IO.Path.Combine(full, ConfigFile)));
            var model = config.RootElement.GetProperty("model");
            var decoderFile = model.GetProperty("decoder").GetProperty("filename").GetString();
            if (decoderFile is null || !File.Exists(System.IO.Path.Combine(full, decoderFile)))
            {
                return (null, $"'{full}/{ConfigFile}' names the decoder file '{decoderFile}', which is not in the folder");
            }

            return (new ModelFolder(full, model.GetProperty("context_length").GetInt32(), model.GetProperty("vocab_size").GetInt32()), null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return (null, $"'{full}/{ConfigFile}' is not a valid GenAI configuration ({ex.Message})");
        }
    }
}
