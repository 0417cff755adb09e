using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Routing.Semantic;

namespace SlmGateway.Routing.Tests;

/// <summary>The real MiniLM model and the built-in exemplars, on tasks unlike any exemplar's wording.</summary>
public sealed class SemanticStepTests
{
    [Fact]
    public void NarrowLookups_ScoreLocal_AndOpenEndedWriting_ScoresRemote()
    {
        using var scorer = new SemanticScorer(Options.Create(new RoutingOptions()));

        Assert.True(scorer.LocalProbability("Look up the shipping status of parcel 77120 for me.") > 0.5);
        Assert.True(scorer.LocalProbability("Compose a reflective essay on what friendship means across a lifetime.") < 0.5);
    }

    [Fact]
    public void ExemplarFile_WithAnUnknownLabel_IsRefused()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """{"text":"x","label":"maybe"}""");
        try
        {
            Assert.Throws<InvalidDataException>(() => ExemplarIndex.Load(file));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
