using Google.Protobuf;

namespace SlmGateway.ModelGen.Onnx;

/// <summary>Builds one small protobuf message in memory; large tensor payloads bypass it (see <see cref="OnnxModelWriter"/>).</summary>
internal sealed class ProtoMessage
{
    private readonly MemoryStream _buffer = new();
    private readonly CodedOutputStream _output;

    public ProtoMessage() => _output = new CodedOutputStream(_buffer, leaveOpen: true);

    public ProtoMessage Int64(int field, long value)
    {
        _output.WriteTag(field, WireFormat.WireType.Varint);
        _output.WriteInt64(value);
        return this;
    }

    public ProtoMessage Float(int field, float value)
    {
        _output.WriteTag(field, WireFormat.WireType.Fixed32);
        _output.WriteFloat(value);
        return this;
    }

    public ProtoMessage String(int field, string value)
    {
        _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _output.WriteString(value);
        return this;
    }

    public ProtoMessage Message(int field, ProtoMessage message) => Bytes(field, message.ToArray());

    public ProtoMessage Bytes(int field, ReadOnlySpan<byte> value)
    {
        _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _output.WriteBytes(ByteString.CopyFrom(value));
        return this;
    }

    public ProtoMessage PackedInt64(int field, IReadOnlyList<long> values)
    {
        var packed = new ProtoMessage();
        foreach (var value in values)
        {
            packed._output.WriteInt64(value);
        }

        return Bytes(field, packed.ToArray());
    }

    public byte[] ToArray()
    {
        _output.Flush();
        return _buffer.ToArray();
    }
}
