using System.Collections.Concurrent;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Host.Limits;

/// <summary>A key's usage in this process: right for one replica (the default).</summary>
internal sealed class MemoryKeyLimits : IKeyLimits
{
    private readonly ConcurrentDictionary<string, Windows> _usage = new(StringComparer.Ordinal);

    public ValueTask<LimitVerdict> AdmitAsync(ClientKeyOptions key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var windows = _usage.GetOrAdd(key.Id, _ => new Windows());
        lock (windows)
        {
            windows.Roll(now);
            windows.Requests++;
            return ValueTask.FromResult(new KeyUsage(windows.Requests, windows.Tokens, windows.SpentToday, windows.SpentThisMonth).Judge(key, now));
        }
    }

    public ValueTask RecordAsync(ClientKeyOptions key, long tokens, double costUsd, DateTimeOffset now)
    {
        var windows = _usage.GetOrAdd(key.Id, _ => new Windows());
        lock (windows)
        {
            windows.Roll(now);
            windows.Tokens += tokens;
            windows.SpentToday += costUsd;
            windows.SpentThisMonth += costUsd;
        }

        return ValueTask.CompletedTask;
    }

    private sealed class Windows
    {
        private long _minute = -1;
        private long _day = -1;
        private int _month = -1;

        public long Requests { get; set; }

        public long Tokens { get; set; }

        public double SpentToday { get; set; }

        public double SpentThisMonth { get; set; }

        /// <summary>Starts the windows that the clock has left afresh.</summary>
        public void Roll(DateTimeOffset now)
        {
            var (minute, day, month) = (now.ToUnixTimeSeconds() / 60, now.ToUnixTimeSeconds() / 86_400, now.Year * 12 + now.Month);
            if (minute != _minute)
            {
                (_minute, Requests, Tokens) = (minute, 0, 0);
            }

            if (day != _day)
            {
                (_day, SpentToday) = (day, 0);
            }

            if (month != _month)
            {
                (_month, SpentThisMonth) = (month, 0);
            }
        }
    }
}
