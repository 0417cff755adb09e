using System.Text;

namespace SlmGateway.Backends.Remote.Forwarding;

/// <summary>
/// Hides an upstream's secrets (its API key, the values of the headers configured for it) in bytes it
/// sent back, by overwriting each occurrence with <c>*</c> of the same length, so that lengths, and a
/// body's <c>Content-Length</c>, stay right. An upstream that echoes request headers into an error
/// body would otherwise hand the operator's key to the client.
/// </summary>
internal sealed class SecretMask
{
    private const int MinimumSecretLength = 8;
    private readonly byte[][] _secrets;

    public SecretMask(IEnumerable<string?> secrets)
        : this(secrets.Where(s => s is { Length: >= MinimumSecretLength }).Select(s => Encoding.UTF8.GetBytes(s!)))
    {
    }

    private SecretMask(IEnumerable<byte[]> secrets) => _secrets = secrets.Distinct(ByteArrayComparer.Instance).ToArray();

    public bool IsEmpty => _secrets.Length == 0;

    /// <summary>The secrets of every upstream a request may reach: any of them may answer.</summary>
    public static SecretMask Combine(IEnumerable<SecretMask> masks) => new(masks.SelectMany(mask => mask._secrets));

    /// <summary>True when <paramref name="data"/> holds a secret or ends in the start of one (the usual answer: no).</summary>
    public bool Touches(ReadOnlySpan<byte> data)
    {
        foreach (var secret in _secrets)
        {
            if (data.IndexOf(secret) >= 0 || PrefixAtEnd(data, secret) > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Overwrites every whole secret in <paramref name="data"/>; returns how many bytes at its end could begin one.</summary>
    public int Mask(Span<byte> data)
    {
        var held = 0;
        foreach (var secret in _secrets)
        {
            var from = 0;
            int at;
            while ((at = data[from..].IndexOf(secret)) >= 0)
            {
                data.Slice(from + at, secret.Length).Fill((byte)'*');
                from += at + secret.Length;
            }

            held = Math.Max(held, PrefixAtEnd(data, secret));
        }

        return held;
    }

    /// <summary>The length of the longest end of <paramref name="data"/> that is the start of <paramref name="secret"/>.</summary>
    private static int PrefixAtEnd(ReadOnlySpan<byte> data, ReadOnlySpan<byte> secret)
    {
        for (var length = Math.Min(secret.Length - 1, data.Length); length > 0; length--)
        {
            if (data[^length] == secret[0] && data[^length..].SequenceEqual(secret[..length]))
            {
                return length;
            }
        }

        return 0;
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
