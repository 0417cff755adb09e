using Serilog.Events;

namespace SlmGateway.Host.Logging;

/// <summary>
/// One named log event property that is made again only when its value changes: most requests
/// share their method, path, status, route, reason, upstream, model and key, and a property is
/// immutable, so the last one made is given out while the value repeats.
/// </summary>
internal sealed class RepeatedProperty<T>(string name)
{
    private LogEventProperty? _last;

    public LogEventProperty Of(T value)
    {
        var last = _last;
        if (last is { Value: ScalarValue { Value: var held } } && EqualityComparer<T>.Default.Equals((T)held!, value))
        {
            return last;
        }

        var made = new LogEventProperty(name, new ScalarValue(value));
        _last = made;
        return made;
    }
}
