using System.Globalization;
using System.Net.Http.Headers;
using SlmGateway.Tests.Common;

namespace SlmGateway.Benchmarks.Reliability;

/// <summary>
/// The CI fuzz test's longer run: <see cref="RequestFuzzer"/> cases against the gateway as shipped, in
/// its own process. Reports statuses, every 5xx (with its case), whether the process lived, and RSS.
/// </summary>
internal static class FuzzBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var cases = Argument(args, "--cases", 50_000);
        var seed = Argument(args, "--seed", 1);
        await using var gateway = await ShippedGateway.StartAsync();
        var fuzzer = new RequestFuzzer(seed, ShippedGateway.RemoteModel, "tiny-random", "auto");
        var statuses = new SortedDictionary<int, int>();
        var failures = 0;
        var rssStart = gateway.Process.RssMiB();
        for (var i = 0; i < cases; i++)
        {
            var (path, body) = fuzzer.Next();
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await gateway.Client.PostAsync(path, content);
            await response.Content.CopyToAsync(Stream.Null);
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (status >= 500 && failures++ < 20)
            {
                Console.WriteLine($"case {i}: {status} {path} {System.Text.Encoding.UTF8.GetString(body)}");
            }

            if ((i + 1) % 10_000 == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {i + 1} cases, RSS {gateway.Process.RssMiB():F0} MiB"));
            }
        }

        using var health = await gateway.Client.GetAsync("/healthz");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fuzz: {cases} cases (seed {seed}): {string.Join(", ", statuses.Select(pair => $"{pair.Key}: {pair.Value}"))}; 5xx: {statuses.Where(p => p.Key >= 500).Sum(p => p.Value)}; alive: {health.IsSuccessStatusCode}; RSS {rssStart:F0} -> {gateway.Process.RssMiB():F0} MiB"));
        return failures == 0 && health.IsSuccessStatusCode ? 0 : 1;
    }

    private static int Argument(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
