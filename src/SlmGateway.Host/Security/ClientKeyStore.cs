using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Host.Security;

/// <summary>
/// The configured client keys, looked up by the SHA-256 of the presented key, each with its own
/// rate limiter; rebuilt when configuration changes (limiters then start afresh).
/// </summary>
internal sealed class ClientKeyStore : IDisposable
{
    private readonly IDisposable? _subscription;
    private volatile FrozenDictionary<string, ClientKey> _byHash;

    public ClientKeyStore(IOptionsMonitor<AuthOptions> options)
    {
        _byHash = Build(options.CurrentValue);
        _subscription = options.OnChange(o =>
        {
            var previous = _byHash;
            _byHash = Build(o);
            Dispose(previous);
        });
    }

    public bool IsEnabled => _byHash.Count > 0;

    public ClientKey? Find(string presentedKey)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var maxBytes = Encoding.UTF8.GetMaxByteCount(presentedKey.Length);
        var utf8 = maxBytes <= 512 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        var written = Encoding.UTF8.GetBytes(presentedKey, utf8);
        SHA256.HashData(utf8[..written], hash);
        return _byHash.GetValueOrDefault(Convert.ToHexStringLower(hash));
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        Dispose(_byHash);
    }

    private static void Dispose(FrozenDictionary<string, ClientKey> keys)
    {
        foreach (var key in keys.Values)
        {
            key.Limiter?.Dispose();
        }
    }

    private static FrozenDictionary<string, ClientKey> Build(AuthOptions options) =>
        options.Keys.ToFrozenDictionary(
            k => k.Sha256.ToLowerInvariant(),
            k => new ClientKey(k.Id, k.RequestsPerMinute > 0
                ? new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions { PermitLimit = k.RequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
                : null),
            StringComparer.Ordinal);
}

/// <summary>A client key as the gateway knows it: its name and its rate limiter, if it has a limit.</summary>
internal sealed record ClientKey(string Id, RateLimiter? Limiter);
