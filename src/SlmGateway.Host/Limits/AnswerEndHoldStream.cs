using System.Buffers;
using SlmGateway.Core.IO;

namespace SlmGateway.Host.Limits;

/// <summary>
/// Holds back the bytes that may end an answer until <see cref="ReleaseAsync"/>, which the client-key
/// layer calls once the answer's tokens and spend are counted: a client that sends its next request
/// the moment it has read an answer then finds that answer counted. A JSON answer's latest write waits
/// for the next one (the client reads the whole body anyway). In an event stream only a write with a
/// final event waits (<c>data: [DONE]</c>, or the Responses API's <c>response.completed</c>,
/// <c>response.incomplete</c> or <c>response.failed</c> event); every other event goes out at once.
/// </summary>
internal sealed class AnswerEndHoldStream(Stream inner, HttpResponse response) : WriteOnlyStream(inner)
{
    private readonly ArrayBufferWriter<byte> _held = new();
    private bool? _eventStream;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await ReleaseAsync(cancellationToken);
        _eventStream ??= response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true;
        if (_eventStream == true && !HasFinalEvent(buffer.Span))
        {
            await Inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        _held.Write(buffer.Span);
    }

    /// <summary>Sends the bytes held back, if any.</summary>
    public async ValueTask ReleaseAsync(CancellationToken cancellationToken = default)
    {
        if (_held.WrittenCount > 0)
        {
            await Inner.WriteAsync(_held.WrittenMemory, cancellationToken);
            _held.Clear();
        }
    }

    /// <summary>A <c>data: [DONE]</c> line, or an <c>event:</c> line naming a final Responses event: field lines, which no JSON text inside an event can imitate.</summary>
    private static bool HasFinalEvent(ReadOnlySpan<byte> events)
    {
        foreach (var range in events.Split((byte)'\n'))
        {
            var line = events[range].TrimEnd((byte)'\r');
            if (FieldValue(line, "data:"u8).SequenceEqual("[DONE]"u8) || FieldValue(line, "event:"u8) is var name
                && (name.SequenceEqual("response.completed"u8) || name.SequenceEqual("response.incomplete"u8) || name.SequenceEqual("response.failed"u8)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The value of a server-sent-event field line (one space after the colon is not part of it); empty for another field.</summary>
    private static ReadOnlySpan<byte> FieldValue(ReadOnlySpan<byte> line, ReadOnlySpan<byte> field)
    {
        if (!line.StartsWith(field))
        {
            return [];
        }

        var value = line[field.Length..];
        return value.StartsWith((byte)' ') ? value[1..] : value;
    }
}
