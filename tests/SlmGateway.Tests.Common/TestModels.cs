namespace SlmGateway.Tests.Common;

/// <summary>The local models tests run real generation on.</summary>
public static class TestModels
{
    /// <summary>The committed fixture (<c>models/tiny-random</c>), copied beside the test assembly.</summary>
    public static string TinyRandom => Path.Combine(AppContext.BaseDirectory, "models", "tiny-random");

    /// <summary>A copy of the fixture in a fresh temporary folder, for tests that damage it.</summary>
    public static string CopyOfTinyRandom()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"slmgw-model-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(TinyRandom))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        return folder;
    }
}
