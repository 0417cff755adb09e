namespace SlmGateway.Benchmarks.Measurement;

internal sealed record Percentiles(double P50, double P90, double P99);

internal static class Stats
{
    public static Percentiles Percentiles(double[] samples)
    {
        if (samples.Length == 0)
        {
            return new Percentiles(double.NaN, double.NaN, double.NaN);
        }

        var sorted = samples.Order().ToArray();
        return new Percentiles(At(sorted, 0.50), At(sorted, 0.90), At(sorted, 0.99));
    }

    public static double Median(IEnumerable<double> values) => Percentiles(values.ToArray()).P50;

    /// <summary>(max - min) / median, in percent: how far repeats of one measurement spread.</summary>
    public static double SpreadPercent(IReadOnlyCollection<double> values) =>
        values.Count < 2 ? 0 : (values.Max() - values.Min()) / Median(values) * 100;

    private static double At(double[] sorted, double quantile) =>
        sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(quantile * sorted.Length))];
}
