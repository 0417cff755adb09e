using SlmGateway.ModelGen;

namespace SlmGateway.FunctionalTests.Local;

/// <summary>
/// A tiny model with a 32k-token context, generated for the test class: a 30,000-token answer takes
/// seconds, long enough to hold a generation slot while a test acts on it.
/// </summary>
public sealed class LongContextModelFixture : IDisposable
{
    public const int MaxTokens = 30000;

    public LongContextModelFixture()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"slmgw-long-{Guid.NewGuid():N}");
        ModelFolderWriter.Write(DecoderShape.Tiny with { ContextLength = 32768 }, 7, Path);
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
