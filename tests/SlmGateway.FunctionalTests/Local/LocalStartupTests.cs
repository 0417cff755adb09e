using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Local;

/// <summary>A local model that cannot be served stops the gateway with a message that names it and says why.</summary>
public sealed class LocalStartupTests
{
    [Fact]
    public async Task MissingModelFolder_StopsStartUp()
    {
        var (exitCode, output) = await RunWithModelAsync("/nonexistent/models/qwen");

        Assert.True(exitCode is not null and not 0, $"exit code {exitCode}: {output}");
        Assert.Contains("Local model 'broken': the folder '/nonexistent/models/qwen' does not exist", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FolderWithoutTokenizer_StopsStartUp()
    {
        var folder = TestModels.CopyOfTinyRandom();
        File.Delete(Path.Combine(folder, "tokenizer.json"));
        try
        {
            var (exitCode, output) = await RunWithModelAsync(folder);

            Assert.True(exitCode is not null and not 0, $"exit code {exitCode}: {output}");
            Assert.Contains("has no tokenizer.json", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task CorruptModelFile_StopsTheGateway_WithExitCode1()
    {
        var folder = TestModels.CopyOfTinyRandom();
        await File.WriteAllBytesAsync(Path.Combine(folder, "model.onnx"), "not an onnx model"u8.ToArray());
        try
        {
            var (exitCode, output) = await RunWithModelAsync(folder);

            Assert.True(exitCode == 1, $"exit code {exitCode}: {output}");
            Assert.Contains($"The local model 'broken' could not be loaded from '{folder}' on 'cpu'", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task CudaProviderThatIsNotInstalled_StopsTheGateway_NamingTheProvider()
    {
        var (exitCode, output) = await RunWithModelAsync(TestModels.TinyRandom, "--SlmGateway:Local:Models:0:Provider=cuda");

        Assert.True(exitCode == 1, $"exit code {exitCode}: {output}");
        Assert.Contains("could not be loaded", output, StringComparison.Ordinal);
        Assert.Contains("on 'cuda'", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Family", "gpt2", "Family 'gpt2' is not one of qwen, llama3, phi4")]
    [InlineData("Provider", "tpu", "Provider 'tpu' is not 'cpu' or 'cuda'")]
    [InlineData("MaxConcurrency", "0", "MaxConcurrency")]
    public async Task InvalidModelSetting_StopsStartUp(string key, string value, string message)
    {
        var (exitCode, output) = await RunWithModelAsync(TestModels.TinyRandom, $"--SlmGateway:Local:Models:0:{key}={value}");

        Assert.True(exitCode is not null and not 0, $"exit code {exitCode}: {output}");
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdapterThatIsMissing_OrListsNoCluster_StopsStartUp()
    {
        var (exitCode, output) = await RunWithModelAsync(TestModels.TinyRandom,
            "--SlmGateway:Local:Models:0:Adapters:0:Name=weather", "--SlmGateway:Local:Models:0:Adapters:0:Path=/nonexistent/weather.onnx_adapter");

        Assert.True(exitCode is not null and not 0, $"exit code {exitCode}: {output}");
        Assert.Contains("adapter 'weather' file '/nonexistent/weather.onnx_adapter' does not exist", output, StringComparison.Ordinal);
        Assert.Contains("adapter 'weather' lists no Clusters to serve", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdapterFileThatGenAiCannotRead_StopsTheGateway_NamingTheAdapter()
    {
        var adapter = Path.Combine(Path.GetTempPath(), $"slmgw-{Guid.NewGuid():N}.onnx_adapter");
        await File.WriteAllBytesAsync(adapter, "not an adapter"u8.ToArray());
        try
        {
            var (exitCode, output) = await RunWithModelAsync(TestModels.TinyRandom,
                "--SlmGateway:Local:Models:0:Adapters:0:Name=weather", $"--SlmGateway:Local:Models:0:Adapters:0:Path={adapter}", "--SlmGateway:Local:Models:0:Adapters:0:Clusters:0=12");

            Assert.True(exitCode == 1, $"exit code {exitCode}: {output}");
            Assert.Contains($"adapter 'weather' at '{adapter}' could not be loaded", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(adapter);
        }
    }

    private static Task<(int? ExitCode, string Output)> RunWithModelAsync(string path, params string[] extra) =>
        GatewayProcess.RunAsync(
            TimeSpan.FromSeconds(60),
            ["--SlmGateway:Local:Models:0:Name=broken", $"--SlmGateway:Local:Models:0:Path={path}", .. extra]);
}
