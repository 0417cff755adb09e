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
    private const int MinFreeBytes = 8;
    private readonly ITextFormatter _formatter;
    private readonly Stream _output;
    private readonly Lock _lock = new();
    private readonly Lock _flushLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _flushing;

    // Text is encoded and written 64 KB at a time: 4 KB at a time (1,365 characters, the worst case
    // of UTF-8) cost one write call for every four requests logged under load.
    private readonly byte[] _bytes = new byte[64 * 1024];
    private readonly Encoder _encoder = Encoding.UTF8.GetEncoder();
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
            WriteUtf8(text);
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

    /// <summary>
    /// Encodes the text as UTF-8 into the buffer and writes it out whenever the buffer is full. One
    /// encoder for all of the text: a surrogate pair can straddle two of the builder's chunks.
    /// </summary>
    private void WriteUtf8(StringBuilder text)
    {
        // A write that failed may have left half a pair behind.
        _encoder.Reset();
        var filled = 0;
        foreach (var chunk in text.GetChunks())
        {
            var chars = chunk.Span;
            while (!chars.IsEmpty)
            {
                filled = MakeRoom(filled);
                _encoder.Convert(chars, _bytes.AsSpan(filled), flush: false, out var used, out var written, out _);
                filled += written;
                chars = chars[used..];
            }
        }

        filled = MakeRoom(filled);
        _encoder.Convert([], _bytes.AsSpan(filled), flush: true, out _, out var last, out _);
        _output.Write(_bytes, 0, filled + last);
    }

    /// <summary>Writes the buffer out when it has no room left for a character and a held half of a pair.</summary>
    private int MakeRoom(int filled)
    {
        if (_bytes.Length - filled >= MinFreeBytes)
        {
            return filled;
        }

        _output.Write(_bytes, 0, filled);
        return 0;
    }
}
