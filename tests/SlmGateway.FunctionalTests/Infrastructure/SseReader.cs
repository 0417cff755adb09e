namespace SlmGateway.FunctionalTests.Infrastructure;

/// <summary>Reads a server-sent-event stream one <c>data:</c> payload at a time.</summary>
public sealed class SseReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream);

    /// <summary>The next event's data, or null at the clean end of the stream.</summary>
    public async Task<string?> NextAsync(CancellationToken cancellationToken = default)
    {
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return line["data: ".Length..];
            }
        }

        return null;
    }

    /// <summary>Every remaining event until the stream ends (throws if it breaks).</summary>
    public async Task<List<string>> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        var events = new List<string>();
        while (await NextAsync(cancellationToken) is { } data)
        {
            events.Add(data);
        }

        return events;
    }

    /// <summary>Every remaining event, and whether the stream broke instead of ending cleanly.</summary>
    public async Task<(List<string> Events, bool Broke)> ReadUntilEndOrBreakAsync()
    {
        var events = new List<string>();
        try
        {
            while (await NextAsync() is { } data)
            {
                events.Add(data);
            }

            return (events, false);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return (events, true);
        }
    }

    public void Dispose() => _reader.Dispose();
}
