using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Core.Configuration;
using SlmGateway.Routing.Classification;
using SlmGateway.Routing.Semantic;
using SlmGateway.Tests.Common;

namespace SlmGateway.Routing.Tests;

/// <summary>The built-in trained model with the real MiniLM, on requests worded unlike any training example.</summary>
public sealed class TrainedClassifierTests : IDisposable
{
    private const string ParcelTools = """[{"type":"function","function":{"name":"track_parcel","description":"Shipping status of a parcel by its number","parameters":{"type":"object","properties":{"number":{"type":"string"}}}}},{"type":"function","function":{"name":"cancel_order","description":"Cancel an order by id","parameters":{"type":"object","properties":{"id":{"type":"string"}}}}}]""";
    private readonly RequestEmbedder _embedder = new();
    private readonly RouterModelSource _source = new(new TestOptionsMonitor<RoutingOptions>(new RoutingOptions()), NullLogger<RouterModelSource>.Instance, TimeProvider.System);

    [Fact]
    public void ANarrowToolStep_GoesLocal_AndAHardAskCarryingTheSameTools_GoesRemote()
    {
        var classifier = new RequestClassifier(_embedder, _source);

        Assert.True(classifier.LocalProbability(Request("Where is parcel 77120 right now?", ParcelTools)) > 0.5);
        Assert.True(classifier.LocalProbability(Request("Compose a reflective essay on what friendship means across a lifetime, in five paragraphs.", ParcelTools)) < 0.5);
        Assert.True(classifier.LocalProbability(Request("Prove that there are infinitely many primes, then discuss why the proof fails for twin primes.", ParcelTools)) < 0.5);
        Assert.True(classifier.LocalProbability(Request("Compose a reflective essay on what friendship means across a lifetime.", null)) < 0.5);
    }

    [Theory]
    [InlineData("""{"format":"other"}""", "format is not")]
    [InlineData("""{"format":"slmgw-router-logistic/1","signals":["tools_offered"],"bias":0,"weights":[0]}""", "signals")]
    [InlineData("not json", "cannot be used")]
    public void AModelFileThatCannotBeUsed_IsRefused_NamingTheFile(string content, string problem)
    {
        var file = Path.Combine(Path.GetTempPath(), $"router-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, content);
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => RouterModel.Load(file));
            Assert.Contains(file, error.Message, StringComparison.Ordinal);
            Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AWeightThatIsNotAFiniteNumber_IsRefused()
    {
        var file = Path.Combine(Path.GetTempPath(), $"router-{Guid.NewGuid():N}.json");
        var weights = string.Join(',', Enumerable.Repeat("0", RouterModelSource.BuiltIn.Weights.Length - 1));
        File.WriteAllText(file, $$"""{"format":"slmgw-router-logistic/1","signals":{{JsonSerializer.Serialize(ClassifierInput.SignalNames)}},"bias":0,"weights":[{{weights}},1e999]}""");
        try
        {
            Assert.Contains(file, Assert.Throws<InvalidDataException>(() => RouterModel.Load(file)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public void Dispose()
    {
        _embedder.Dispose();
        _source.Dispose();
    }

    private static ChatCompletionRequest Request(string ask, string? tools) => JsonSerializer.Deserialize(
        $$"""{"model":"auto","messages":[{"role":"user","content":{{JsonSerializer.Serialize(ask)}}}]{{(tools is null ? "" : ",\"tools\":" + tools)}}}""",
        WireJsonContext.Default.ChatCompletionRequest)!;
}
