using Microsoft.Extensions.Options;

namespace SlmGateway.Conversion.Tests;

/// <summary>Fixed options for the parts under test.</summary>
internal sealed class TestOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
