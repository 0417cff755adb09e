namespace SlmGateway.Core.Execution;

/// <summary>The circuit state of each remote upstream (closed, open, halfopen, isolated), for readiness.</summary>
public interface IUpstreamHealth
{
    IReadOnlyDictionary<string, string> CircuitStates { get; }
}
