using SlmGateway.Conversion.Promotion;
using SlmGateway.Conversion.Store;

namespace SlmGateway.Conversion.Tests;

public sealed class PromotionPolicyTests
{
    private static readonly PromotionOptions Options = new() { Agreement = 0.9, MinSamples = 20, DemoteEscalationRate = 0.3, MinLiveSamples = 10 };

    [Theory]
    [InlineData(20, 20, 18, true)]
    [InlineData(20, 20, 17, false)]
    [InlineData(19, 19, 19, false)]
    // Answers that fail validation would be escalated, not sent: agreement counts among those that pass...
    [InlineData(20, 15, 14, true)]
    [InlineData(20, 15, 13, false)]
    // ...once at least 1 - DemoteEscalationRate pass, so that the escalations would not demote the cluster at once.
    [InlineData(20, 13, 13, false)]
    public void ObservedCluster_IsPromotedOnEnoughAgreeingSamples(long samples, long validated, long agreed, bool promoted)
    {
        var changes = PromotionPolicy.Decide([Cluster(ClusterStates.Observed)], [new ShadowStats(1, "slm", samples, agreed, validated, 0.9)], [], Options, 1000);

        Assert.Equal(promoted, changes.Count == 1);
        if (promoted)
        {
            Assert.Equal((ClusterStates.Promoted, "slm", "policy"), (changes[0].ToState, changes[0].Model, changes[0].Actor));
            Assert.Contains($"\"validated_agreement\":{Math.Round((double)agreed / validated, 4).ToString(System.Globalization.CultureInfo.InvariantCulture)}", changes[0].Evidence, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void BestAgreeingModel_IsChosen()
    {
        var changes = PromotionPolicy.Decide(
            [Cluster(ClusterStates.Demoted)],
            [new ShadowStats(1, "small", 30, 28, 30, 0.9), new ShadowStats(1, "smaller", 40, 39, 40, 0.9), new ShadowStats(2, "other", 50, 50, 50, 1)],
            [],
            Options,
            1000);

        Assert.Equal("smaller", Assert.Single(changes).Model);
    }

    [Theory]
    [InlineData(7, 3, true)]
    [InlineData(8, 2, false)]
    [InlineData(6, 3, false)]
    public void PromotedCluster_IsDemotedWhenEscalationsRise(long servedLocally, long escalated, bool demoted)
    {
        var changes = PromotionPolicy.Decide(
            [Cluster(ClusterStates.Promoted)], [new ShadowStats(1, "slm", 100, 100, 100, 1)], [new TrafficStats(1, servedLocally + escalated, escalated, servedLocally, servedLocally, escalated)], Options, 1000);

        Assert.Equal(demoted, changes.Count == 1);
        Assert.All(changes, change => Assert.Equal(ClusterStates.Demoted, change.ToState));
    }

    private static ClusterRow Cluster(string state) => new(1, "tools:a", [1f], 10, state, state == ClusterStates.Promoted ? "slm" : null, 0);
}
