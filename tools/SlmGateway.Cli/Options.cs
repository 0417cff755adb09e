namespace SlmGateway.Cli;

/// <summary>Command-line words: <c>--name value</c> options, <c>--flag</c>s and the positional words between them.</summary>
internal sealed class Options
{
    private static readonly HashSet<string> Flags = ["--all"];
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public Options(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (Flags.Contains(args[i]))
            {
                _flags.Add(args[i]);
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                _values[args[i]] = i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value.");
            }
            else
            {
                Positional.Add(args[i]);
            }
        }
    }

    public List<string> Positional { get; } = [];

    public string? Value(string name) => _values.GetValueOrDefault(name);

    public bool Flag(string name) => _flags.Contains(name);

    public string Required(string name) => Value(name) ?? throw new UsageException($"{name} is required.");

    /// <summary>The cluster id after the command word.</summary>
    public long Id() =>
        Positional.Count > 1 && long.TryParse(Positional[1], out var id) ? id : throw new UsageException($"'{Positional[0]}' needs a cluster id.");
}

internal sealed class UsageException(string message) : Exception(message);
