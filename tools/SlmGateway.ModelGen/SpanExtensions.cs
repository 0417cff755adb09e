using System.Runtime.InteropServices;

namespace SlmGateway.ModelGen;

internal static class SpanExtensions
{
    public static Span<float> AsFloats(this Span<byte> bytes) => MemoryMarshal.Cast<byte, float>(bytes);
}
