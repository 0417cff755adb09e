using System.Globalization;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Diagnostics;
using StackExchange.Redis;

namespace SlmGateway.Host.Limits;

/// <summary>
/// A key's usage in Redis, shared by every replica: one round trip (a script) to count a request and
/// read the minute's tokens and the day's and month's spend, one after the answer to add what it
/// used. Windows are keys that expire. When Redis does not answer within <c>Limits:Timeout</c>, the
/// request goes on or is refused with 503 as <c>Limits:WhenUnavailable</c> says, and is counted.
/// </summary>
internal sealed partial class RedisKeyLimits : IKeyLimits, IDisposable
{
    private const string AdmitScript = """
        local requests = redis.call('INCR', KEYS[1])
        if requests == 1 then redis.call('EXPIRE', KEYS[1], 120) end
        return {requests, redis.call('GET', KEYS[2]) or '0', redis.call('GET', KEYS[3]) or '0', redis.call('GET', KEYS[4]) or '0'}
        """;

    private const string RecordScript = """
        if tonumber(ARGV[1]) > 0 then
          redis.call('INCRBY', KEYS[1], ARGV[1])
          redis.call('EXPIRE', KEYS[1], 120)
        end
        if tonumber(ARGV[2]) > 0 then
          redis.call('INCRBYFLOAT', KEYS[2], ARGV[2])
          redis.call('EXPIRE', KEYS[2], 172800)
          redis.call('INCRBYFLOAT', KEYS[3], ARGV[2])
          redis.call('EXPIRE', KEYS[3], 2764800)
        end
        return 0
        """;

    // Redis may take a moment to answer the first time; it is connected to from the start, not on first use.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private readonly Task<ConnectionMultiplexer> _redis;
    private readonly TimeSpan _timeout;
    private readonly bool _failOpen;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger<RedisKeyLimits> _logger;
    private long _lastWarningTicks;

    public RedisKeyLimits(IOptions<LimitsOptions> options, GatewayMetrics metrics, ILogger<RedisKeyLimits> logger)
    {
        var limits = options.Value;
        var configuration = ConfigurationOptions.Parse(limits.Redis!);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)ConnectTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = configuration.SyncTimeout = (int)limits.Timeout.TotalMilliseconds;
        _redis = ConnectionMultiplexer.ConnectAsync(configuration);
        (_timeout, _failOpen, _metrics, _logger) = (limits.Timeout, limits.WhenUnavailable == "open", metrics, logger);
    }

    public async ValueTask<LimitVerdict> AdmitAsync(ClientKeyOptions key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            var keys = Keys(key.Id, now);
            var redis = await _redis.WaitAsync(_timeout, cancellationToken);
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(AdmitScript, [keys.Requests, keys.Tokens, keys.Day, keys.Month]))!;
            var usage = new KeyUsage((long)result[0], long.Parse((string)result[1]!, CultureInfo.InvariantCulture),
                double.Parse((string)result[2]!, CultureInfo.InvariantCulture), double.Parse((string)result[3]!, CultureInfo.InvariantCulture));
            return usage.Judge(key, now);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            Unavailable(exception);
            return _failOpen ? LimitVerdict.Allowed : LimitVerdict.Unavailable;
        }
    }

    public async ValueTask RecordAsync(ClientKeyOptions key, long tokens, double costUsd, DateTimeOffset now)
    {
        try
        {
            var keys = Keys(key.Id, now);
            var redis = await _redis.WaitAsync(_timeout);
            await redis.GetDatabase().ScriptEvaluateAsync(
                RecordScript, [keys.Tokens, keys.Day, keys.Month], [tokens, costUsd.ToString("R", CultureInfo.InvariantCulture)]);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            Unavailable(exception);
        }
    }

    public void Dispose()
    {
        if (_redis.IsCompletedSuccessfully)
        {
            _redis.Result.Dispose();
        }
    }

    private static (RedisKey Requests, RedisKey Tokens, RedisKey Day, RedisKey Month) Keys(string keyId, DateTimeOffset now)
    {
        var prefix = $"slmgw:limits:{keyId}:";
        var minute = (now.ToUnixTimeSeconds() / 60).ToString(CultureInfo.InvariantCulture);
        return (prefix + "requests:" + minute, prefix + "tokens:" + minute,
            prefix + "spend:" + now.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
            prefix + "spend:" + now.UtcDateTime.ToString("yyyyMM", CultureInfo.InvariantCulture));
    }

    /// <summary>Counted every time; logged at most once every ten seconds, so that an outage does not flood the log.</summary>
    private void Unavailable(Exception exception)
    {
        _metrics.LimitsUnavailable.Add(1, new KeyValuePair<string, object?>("outcome", _failOpen ? "allowed" : "refused"));
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastWarningTicks);
        if (now - last >= 10_000 && Interlocked.CompareExchange(ref _lastWarningTicks, now, last) == last)
        {
            LogUnavailable(_logger, _failOpen ? "let through" : "refused with 503", exception.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Limits store (Redis) unavailable: requests are {Policy} until it answers: {Problem}")]
    private static partial void LogUnavailable(ILogger logger, string policy, string problem);
}
