using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Host.Security;

/// <summary>
/// The configured client keys, looked up by the SHA-256 of the presented key; rebuilt when
/// configuration changes (their limits are counted by <c>IKeyLimits</c>, by key id).
/// </summary>
internal sealed class ClientKeyStore : IDisposable
{
    private readonly IDisposable? _subscription;
    private volatile FrozenDictionary<string, ClientKeyOptions> _byHash;

    public ClientKeyStore(IOptionsMonitor<AuthOptions> options)
    {
        _byHash = Build(options.CurrentValue);
        _subscription = options.OnChange(o => _byHash = Build(o));
    }

    public bool IsEnabled => _byHash.Count > 0;

    public ClientKeyOptions? Find(string presentedKey)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var maxBytes = Encoding.UTF8.GetMaxByteCount(presentedKey.Length);
        var utf8 = maxBytes <= 512 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        var written = Encoding.UTF8.GetBytes(presentedKey, utf8);
        SHA256.HashData(utf8[..written], hash);
        return _byHash.GetValueOrDefault(Convert.ToHexStringLower(hash));
    }

    public void Dispose() => _subscription?.Dispose();

    private static FrozenDictionary<string, ClientKeyOptions> Build(AuthOptions options) =>
        options.Keys.ToFrozenDictionary(k => k.Sha256.ToLowerInvariant(), k => k, StringComparer.Ordinal);
}
