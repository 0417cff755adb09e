namespace SlmGateway.Routing.Semantic.Onnx;

/// <summary>
/// Reads protocol buffer fields in place from a span (Google.Protobuf's public reader copies its input
/// into an array, here a 91 MB model).
/// </summary>
internal ref struct ProtobufReader(ReadOnlySpan<byte> buffer)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _buffer = buffer;

    public int Position { get; private set; }

    public readonly bool AtEnd => Position >= _buffer.Length;

    public bool Next(out int field, out int wireType)
    {
        if (AtEnd)
        {
            field = 0;
            wireType = 0;
            return false;
        }

        var tag = ReadVarint();
        field = checked((int)(tag >> 3));
        wireType = (int)(tag & 7);
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var next = _buffer[Position++];
            value |= (ulong)(next & 0x7F) << shift;
            if (next < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("A protocol buffer varint is longer than ten bytes.");
    }

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        var length = checked((int)ReadVarint());
        var value = _buffer.Slice(Position, length);
        Position += length;
        return value;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint:
                ReadVarint();
                break;
            case Fixed64:
                Position += 8;
                break;
            case LengthDelimited:
                ReadLengthDelimited();
                break;
            case Fixed32:
                Position += 4;
                break;
            default:
                throw new InvalidDataException($"Unsupported protocol buffer wire type {wireType}.");
        }
    }
}
