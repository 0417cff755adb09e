using Microsoft.Extensions.Options;

namespace SlmGateway.Host.Hosting;

/// <summary>
/// Turns a configuration error that stops start-up into one line naming the setting and the problem,
/// for an exit with code 1 instead of an unhandled exception (code 134 and a stack trace).
/// </summary>
internal static class StartupFailure
{
    private const string BinderFailure = "Failed to convert configuration value";

    /// <summary>The line to print, or null for an exception that is not a configuration error.</summary>
    public static string? Describe(Exception exception) => exception switch
    {
        AggregateException aggregate => string.Join(" ", aggregate.Flatten().InnerExceptions.Select(Describe).OfType<string>()) is { Length: > 0 } all ? all : null,
        OptionsValidationException invalid => "Invalid configuration: " + string.Join(" ", invalid.Failures),
        InvalidOperationException binder when binder.Message.StartsWith(BinderFailure, StringComparison.Ordinal) =>
            "Invalid configuration: " + binder.Message + (binder.InnerException is { } inner ? $" ({inner.Message})" : string.Empty),
        IOException io when io.InnerException is System.Net.Sockets.SocketException => "The gateway cannot listen: " + io.Message,
        _ => null,
    };
}
