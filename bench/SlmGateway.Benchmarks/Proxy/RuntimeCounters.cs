using System.Globalization;
using System.Text.RegularExpressions;

namespace SlmGateway.Benchmarks.Proxy;

/// <summary>
/// The gateway's own runtime counters, read from its <c>/metrics</c> (.NET's System.Runtime meter):
/// bytes allocated, garbage collections by generation and the time they paused the process, to compare
/// two readings around a load.
/// </summary>
internal sealed partial record RuntimeCounters(double AllocatedBytes, double Gen0, double Gen1, double Gen2, double PauseSeconds)
{
    public static async Task<RuntimeCounters> ReadAsync(Uri gateway)
    {
        using var client = new HttpClient { BaseAddress = gateway };
        var text = await client.GetStringAsync("/metrics");
        return new RuntimeCounters(
            Sum(text, "dotnet_gc_heap_total_allocated_bytes_total", null),
            Sum(text, "dotnet_gc_collections_total", "gen0"),
            Sum(text, "dotnet_gc_collections_total", "gen1"),
            Sum(text, "dotnet_gc_collections_total", "gen2"),
            Sum(text, "dotnet_gc_pause_time_seconds_total", null));
    }

    /// <summary>Per request and per second of the load between <paramref name="before"/> and this reading.</summary>
    public string Since(RuntimeCounters before, double requests, double seconds) =>
        string.Create(CultureInfo.InvariantCulture,
            $", alloc {(AllocatedBytes - before.AllocatedBytes) / requests / 1024:F1} KB/req, GCs/s gen0 {(Gen0 - before.Gen0) / seconds:F1} gen1 {(Gen1 - before.Gen1) / seconds:F1} gen2 {(Gen2 - before.Gen2) / seconds:F1}, paused {(PauseSeconds - before.PauseSeconds) * 1000 / seconds:F1} ms/s");

    private static double Sum(string text, string name, string? generation) =>
        SampleLine().Matches(text)
            .Where(match => match.Groups["name"].Value == name
                && (generation is null || match.Groups["labels"].Value.Contains($"gc_heap_generation=\"{generation}\"", StringComparison.Ordinal)))
            .Sum(match => double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-z_]+)(?:\{(?<labels>[^}]*)\})? (?<value>[0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex SampleLine();
}
