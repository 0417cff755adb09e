using Serilog.Events;

namespace SlmGateway.Host.Logging;

/// <summary>
/// One named log event property whose value is made again only when it changes: most requests
/// share their method, path, status, route, reason, upstream, model and key, and a value is
/// immutable, so the last one made is given out while the value repeats.
/// </summary>
internal sealed class RepeatedProperty<T>(string name)
{
    private ScalarValue? _last;

    public string Name => name;

    public ScalarValue Of(T value)
    {
        var last = _last;
        if (last is { Value: var held } && EqualityComparer<T>.Default.Equals((T)held!, value))
        {
            return last;
        }

        var made = new ScalarValue(value);
        _last = made;
        return made;
    }
}
