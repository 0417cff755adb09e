using SlmGateway.Backends.Onnx.Models;
using SlmGateway.Core.Configuration;
using SlmGateway.Tests.Common;

namespace SlmGateway.Backends.Onnx.Tests;

/// <summary>The committed tiny model, loaded once for a test class, with four generation slots.</summary>
public sealed class TinyModelFixture : IDisposable
{
    public TinyModelFixture()
    {
        var options = new LocalModelOptions { Name = "tiny-random", Path = TestModels.TinyRandom, Threads = 1, MaxConcurrency = 4, QueueLength = 0 };
        Model = LocalModel.Load(options, ModelFolder.Inspect(options.Path).Folder!);
    }

    internal LocalModel Model { get; }

    public void Dispose() => Model.Dispose();
}
