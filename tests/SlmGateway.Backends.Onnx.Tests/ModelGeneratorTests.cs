using SlmGateway.ModelGen;
using SlmGateway.Tests.Common;

namespace SlmGateway.Backends.Onnx.Tests;

/// <summary>The committed fixture is exactly what the generator writes from its seed.</summary>
public sealed class ModelGeneratorTests
{
    [Fact]
    public void TinyFixture_IsReproducedByteForByte_FromSeed42()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"slmgw-gen-{Guid.NewGuid():N}");
        try
        {
            ModelFolderWriter.Write(DecoderShape.Tiny, 42, folder);

            var committed = Directory.GetFiles(TestModels.TinyRandom).Select(Path.GetFileName).Order().ToArray();
            Assert.Equal(committed, Directory.GetFiles(folder).Select(Path.GetFileName).Order().ToArray());
            foreach (var file in committed)
            {
                Assert.True(
                    File.ReadAllBytes(Path.Combine(folder, file!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(TestModels.TinyRandom, file!))),
                    $"{file} differs from the committed fixture");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
