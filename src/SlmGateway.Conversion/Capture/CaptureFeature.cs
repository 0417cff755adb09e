namespace SlmGateway.Conversion.Capture;

/// <summary>Set on a request that is being captured; the front door hands it the request body it accepted.</summary>
public sealed class CaptureFeature
{
    internal byte[]? Request { get; private set; }

    public void RecordRequest(ReadOnlyMemory<byte> body) => Request = body.ToArray();
}
