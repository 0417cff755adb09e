using System.Globalization;

namespace SlmGateway.ModelGen;

/// <summary><c>slmgw-modelgen &lt;preset&gt; &lt;output-folder&gt; [--seed N]</c>: writes a random-weight decoder in GenAI format.</summary>
internal static class ModelGenCommand
{
    public static int Main(string[] args)
    {
        if (args.Length < 2 || DecoderShape.Presets.All(preset => preset.Preset != args[0]))
        {
            Console.Error.WriteLine($"usage: slmgw-modelgen <{string.Join('|', DecoderShape.Presets.Select(p => p.Preset))}> <output-folder> [--seed N]");
            return 2;
        }

        var shape = DecoderShape.Presets.Single(preset => preset.Preset == args[0]);
        var seed = args.Length >= 4 && args[2] == "--seed" ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;
        ModelFolderWriter.Write(shape, seed, args[1]);
        Console.WriteLine($"wrote {shape.Preset} (seed {seed}) to {Path.GetFullPath(args[1])}");
        return 0;
    }
}
