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

        Assert.True(classifier.LocalProbability(Request("Where is parcel 77120 right now?", ParcelTools), Threshold) > 0.5);
        Assert.True(classifier.LocalProbability(Request("Compose a reflective essay on what friendship means across a lifetime, in five paragraphs.", ParcelTools), Threshold) < 0.5);
        Assert.True(classifier.LocalProbability(Request("Prove that there are infinitely many primes, then discuss why the proof fails for twin primes.", ParcelTools), Threshold) < 0.5);
        Assert.True(classifier.LocalProbability(Request("Compose a reflective essay on what friendship means across a lifetime.", null), Threshold) < 0.5);
    }

    [Theory]
    [InlineData("""{"format":"other"}""", "format is not")]
    [InlineData("""{"format":"slmgw-router-cascade/1","lexical":{"signals":["tools_offered"]},"semantic":{}}""", "signals")]
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
        var model = RouterModelSource.BuiltIn;
        model.Save(file);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!;
        json["semantic"]!["weights"]![3] = System.Text.Json.Nodes.JsonValue.Create(double.MaxValue);
        File.WriteAllText(file, json.ToJsonString());
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

    private static double Threshold => 0.5;

    private static ChatCompletionRequest Request(string ask, string? tools) => JsonSerializer.Deserialize(
        $$"""{"model":"auto","messages":[{"role":"user","content":{{JsonSerializer.Serialize(ask)}}}]{{(tools is null ? "" : ",\"tools\":" + tools)}}}""",
        WireJsonContext.Default.ChatCompletionRequest)!;
}
