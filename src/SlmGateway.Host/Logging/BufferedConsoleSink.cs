using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace SlmGateway.Host.Logging;

/// <summary>
/// Writes log events to standard output: each is formatted into a buffer as it is emitted, and the
/// buffer is written and flushed at most every <see cref="Period"/>. A per-event console write and
/// flush cost as much as proxying the request itself; queueing the events instead kept each one
/// alive until its batch was written, long enough to be promoted by the garbage collector (2 KB a
/// request at thousands of requests a second). Text beyond <see cref="MaxPendingChars"/> waiting for
/// a blocked output is dropped and counted in the next write.
/// </summary>
internal sealed class BufferedConsoleSink : ILogEventSink, IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(200);
    private const int MaxPendingChars = 16 * 1024 * 1024;
    private readonly ITextFormatter _formatter;
    private readonly Stream _output;
    private readonly Lock _lock = new();
    private readonly Lock _flushLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _flushing;
    private StringWriter _pending = new();
    private StringWriter _writing = new();
    private long _dropped;

    public BufferedConsoleSink(ITextFormatter formatter, Stream output)
    {
        _formatter = formatter;
        _output = output;
        _flushing = Task.Run(FlushPeriodicallyAsync);
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_lock)
        {
            if (_pending.GetStringBuilder().Length >= MaxPendingChars)
            {
                _dropped++;
                return;
            }

            _formatter.Format(logEvent, _pending);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        try
        {
            _flushing.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The output failed; there is nowhere left to say so.
        }

        Flush();
        _stopping.Dispose();
    }

    private async Task FlushPeriodicallyAsync()
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                Flush();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: Dispose writes what is left.
        }
    }

    private void Flush()
    {
        lock (_flushLock)
        {
            FlushPending();
        }
    }

    private void FlushPending()
    {
        long dropped;
        lock (_lock)
        {
            if (_pending.GetStringBuilder().Length == 0 && _dropped == 0)
            {
                return;
            }

            (_pending, _writing) = (_writing, _pending);
            (dropped, _dropped) = (_dropped, 0);
        }

        var text = _writing.GetStringBuilder();
        if (dropped > 0)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"[log] {dropped} events dropped: standard output did not keep up{Environment.NewLine}");
        }

        try
        {
            foreach (var chunk in text.GetChunks())
            {
                WriteUtf8(chunk.Span);
            }

            _output.Flush();
        }
        catch (IOException)
        {
            // Standard output is closed (the process is being torn down); the text is lost.
        }
        finally
        {
            text.Clear();
        }
    }

    private void WriteUtf8(ReadOnlySpan<char> chars)
    {
        Span<byte> buffer = stackalloc byte[4096];
        var encoder = Encoding.UTF8;
        while (!chars.IsEmpty)
        {
            var take = Math.Min(chars.Length, buffer.Length / 3);
            if (take < chars.Length && char.IsHighSurrogate(chars[take - 1]))
            {
                take--;
            }

            var written = encoder.GetBytes(chars[..take], buffer);
            _output.Write(buffer[..written]);
            chars = chars[take..];
        }
    }
}
