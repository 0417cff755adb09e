using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Routing.Classification;

/// <summary>
/// The classifier's current weights: the built-in model (<c>models/router/classifier.json</c>,
/// compiled in), or <c>Routing:ClassifierFile</c>, which is checked for changes every
/// <c>Routing:ClassifierReloadInterval</c> and swapped in while the gateway runs. A file that cannot
/// be used stops start-up (see <see cref="RoutingOptionsValidator"/>); a bad file written later is
/// logged and the previous model kept.
/// </summary>
internal sealed partial class RouterModelSource : IDisposable
{
    private const string BuiltInResource = "SlmGateway.Routing.classifier.json";
    private static readonly Lazy<RouterModel> BuiltInModel = new(LoadBuiltIn);
    private readonly IOptionsMonitor<RoutingOptions> _options;
    private readonly ILogger<RouterModelSource> _logger;
    private readonly ITimer _timer;
    private readonly Lock _reloading = new();
    private (string? File, DateTime WrittenAt, long Length, RouterModel Model) _loaded;

    public RouterModelSource(IOptionsMonitor<RoutingOptions> options, ILogger<RouterModelSource> logger, TimeProvider time)
    {
        (_options, _logger) = (options, logger);
        var file = options.CurrentValue.ClassifierFile;
        _loaded = file is null ? (null, default, 0, BuiltInModel.Value) : (file, Stamp(file).WrittenAt, Stamp(file).Length, RouterModel.Load(file));
        var interval = options.CurrentValue.ClassifierReloadInterval;
        _timer = time.CreateTimer(_ => Refresh(), null, interval, interval);
    }

    public RouterModel Current => _loaded.Model;

    public static RouterModel BuiltIn => BuiltInModel.Value;

    /// <summary>Loads the configured file again when it, or the setting naming it, changed.</summary>
    public void Refresh()
    {
        lock (_reloading)
        {
            if (_options.CurrentValue.ClassifierFile is not { } file)
            {
                _loaded = (null, default, 0, BuiltInModel.Value);
                return;
            }

            var (writtenAt, length) = Stamp(file);
            if (file == _loaded.File && writtenAt == _loaded.WrittenAt && length == _loaded.Length)
            {
                return;
            }

            try
            {
                _loaded = (file, writtenAt, length, RouterModel.Load(file));
                LogReloaded(_logger, file, writtenAt);
            }
            catch (InvalidDataException exception)
            {
                // Kept aside until the file changes again.
                _loaded = _loaded with { File = file, WrittenAt = writtenAt, Length = length };
                LogRejected(_logger, exception.Message);
            }
        }
    }

    private static (DateTime WrittenAt, long Length) Stamp(string file) =>
        new FileInfo(file) is { Exists: true } info ? (info.LastWriteTimeUtc, info.Length) : (default, -1);

    public void Dispose() => _timer.Dispose();

    private static RouterModel LoadBuiltIn()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(BuiltInResource)!;
        return RouterModel.Load(stream, "built-in classifier.json");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Router model reloaded from {File} (written {WrittenAt:O})")]
    private static partial void LogReloaded(ILogger logger, string file, DateTime writtenAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Problem}; the previous router model stays in use")]
    private static partial void LogRejected(ILogger logger, string problem);
}
