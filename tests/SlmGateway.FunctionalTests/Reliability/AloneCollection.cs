namespace SlmGateway.FunctionalTests.Reliability;

/// <summary>
/// Tests that measure the test process itself (its managed memory) or wall-clock bounds of a few
/// hundred milliseconds run alone, so other tests' allocations and CPU do not count against them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}
