namespace SlmGateway.FunctionalTests.Telemetry;

/// <summary>
/// Metric tests run alone: every gateway host in the test process names its meter the same, and an
/// OpenTelemetry listener hears all meters of that name, so series of other hosts starting and
/// stopping in parallel would come and go in this host's scrape.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics";
}
