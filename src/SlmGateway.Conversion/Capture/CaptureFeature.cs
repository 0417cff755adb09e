using SlmGateway.Contracts.Chat;

namespace SlmGateway.Conversion.Capture;

/// <summary>Set on a request that is being captured; the front door hands it the request body it accepted and the chat request it parsed from it.</summary>
public sealed class CaptureFeature(int maxBodyBytes)
{
    /// <summary>A copy of the body, or null when none was accepted or it was over the limit.</summary>
    internal byte[]? Request { get; private set; }

    /// <summary>A body was accepted: the call is captured, with the body when it is within the limit.</summary>
    internal bool Accepted { get; private set; }

    /// <summary>The parsed chat request (not parsed again off the request path), when the body is kept.</summary>
    internal ChatCompletionRequest? Chat { get; private set; }

    public void RecordRequest(ReadOnlyMemory<byte> body, ChatCompletionRequest? chat)
    {
        Accepted = true;
        Request = body.Length <= maxBodyBytes ? body.ToArray() : null;
        Chat = Request is null ? null : chat;
    }
}
