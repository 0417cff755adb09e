using SlmGateway.Core.Configuration;

namespace SlmGateway.Core.Ports;

/// <summary>
/// Local models added while the gateway runs, beside the configured ones: the task specialists the
/// conversion loop distils. An added model is servable by name, shadows its clusters' calls and can
/// be promoted like a configured one.
/// </summary>
public interface ILocalModelRegistration
{
    /// <summary>The models added so far, in order.</summary>
    IReadOnlyList<LocalModelOptions> Added { get; }

    /// <summary>Raised after a model is added and loaded.</summary>
    event Action? Changed;

    /// <summary>Loads the model and adds it; throws, adding nothing, when it cannot be loaded or its name is taken.</summary>
    void Add(LocalModelOptions model);
}
