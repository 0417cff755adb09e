using Microsoft.Extensions.Options;

namespace SlmGateway.Tests.Common;

/// <summary>Fixed options for the parts under test.</summary>
public sealed class TestOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
