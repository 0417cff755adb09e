using SlmGateway.Core.Configuration;

namespace SlmGateway.Backends.Remote.Upstreams;

/// <summary>Reads an upstream's API key from its file or environment variable; the file wins when both are set.</summary>
internal static class ApiKeyResolver
{
    public static string? Resolve(UpstreamOptions options)
    {
        if (!string.IsNullOrEmpty(options.ApiKeyFile))
        {
            var fromFile = File.ReadAllText(options.ApiKeyFile).Trim();
            return fromFile.Length == 0 ? null : fromFile;
        }

        if (!string.IsNullOrEmpty(options.ApiKeyEnv))
        {
            var fromEnv = Environment.GetEnvironmentVariable(options.ApiKeyEnv);
            return string.IsNullOrWhiteSpace(fromEnv) ? null : fromEnv.Trim();
        }

        return null;
    }
}
