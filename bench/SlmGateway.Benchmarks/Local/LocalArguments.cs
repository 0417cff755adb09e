using System.Globalization;

namespace SlmGateway.Benchmarks.Local;

internal sealed record LocalArguments(int Tokens, int Repeats, int Threads, int[] Concurrency, string ModelDirectory, int FirstTokenSamples)
{
    public static LocalArguments Parse(string[] args)
    {
        var result = new LocalArguments(128, 3, 2, [1, 2, 4], Path.Combine(Path.GetTempPath(), "slmgw-bench", "qwen2.5-0.5b"), 40);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            result = args[i] switch
            {
                "--tokens" => result with { Tokens = Int(value) },
                "--repeats" => result with { Repeats = Int(value) },
                "--threads" => result with { Threads = Int(value) },
                "--concurrency" => result with { Concurrency = value.Split(',').Select(Int).ToArray() },
                "--model-dir" => result with { ModelDirectory = value },
                "--first-token-samples" => result with { FirstTokenSamples = Int(value) },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }

        return result;
    }

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);
}
