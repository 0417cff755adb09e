using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace SlmGateway.Host.Logging;

/// <summary>
/// Writes log events to standard output a batch at a time, with one flush per batch: a per-event
/// console write and flush cost as much as proxying the request itself.
/// </summary>
internal sealed class BatchedConsoleSink(ITextFormatter formatter) : IBatchedLogEventSink, IDisposable
{
    private readonly StreamWriter _output = new(Console.OpenStandardOutput(), new UTF8Encoding(false), 64 * 1024) { AutoFlush = false };

    public async Task EmitBatchAsync(IReadOnlyCollection<LogEvent> batch)
    {
        foreach (var logEvent in batch)
        {
            formatter.Format(logEvent, _output);
        }

        await _output.FlushAsync();
    }

    public Task OnEmptyBatchAsync() => Task.CompletedTask;

    public void Dispose() => _output.Dispose();
}
