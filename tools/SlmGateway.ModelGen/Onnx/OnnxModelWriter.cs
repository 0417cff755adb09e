using Google.Protobuf;

namespace SlmGateway.ModelGen.Onnx;

/// <summary>ONNX tensor element types used by the generator (values from onnx.proto).</summary>
internal enum TensorType
{
    Float = 1,
    UInt8 = 2,
    Int32 = 6,
    Int64 = 7,
}

/// <summary>A node attribute: an int, a float or a string.</summary>
internal readonly record struct NodeAttribute(string Name, long? Int = null, float? Float = null, string? Text = null)
{
    public static NodeAttribute Of(string name, long value) => new(name, Int: value);

    public static NodeAttribute Of(string name, float value) => new(name, Float: value);

    public static NodeAttribute Of(string name, string value) => new(name, Text: value);
}

/// <summary>
/// Writes an ONNX ModelProto by hand (field numbers from onnx.proto). Initializer data is produced
/// one tensor at a time while the file is written, so a model of several hundred MB never sits in
/// memory twice.
/// </summary>
internal sealed class OnnxModelWriter
{
    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];
    private readonly List<PendingTensor> _initializers = [];
    private int _nodeCount;

    private sealed record PendingTensor(byte[] Header, long DataLength, Action<Span<byte>> Fill);

    public void Input(string name, TensorType type, params object[] dims) => _inputs.Add(ValueInfo(name, type, dims));

    public void Output(string name, TensorType type, params object[] dims) => _outputs.Add(ValueInfo(name, type, dims));

    public string Node(string opType, string[] inputs, string output, string domain = "", params NodeAttribute[] attributes) =>
        NodeWithOutputs(opType, inputs, [output], domain, attributes)[0];

    public string[] NodeWithOutputs(string opType, string[] inputs, string[] outputs, string domain = "", params NodeAttribute[] attributes)
    {
        var node = new ProtoMessage();
        foreach (var input in inputs)
        {
            node.String(1, input);
        }

        foreach (var output in outputs)
        {
            node.String(2, output);
        }

        node.String(3, $"{opType}_{_nodeCount++}").String(4, opType);
        foreach (var attribute in attributes)
        {
            node.Message(5, AttributeMessage(attribute));
        }

        if (domain.Length > 0)
        {
            node.String(7, domain);
        }

        _nodes.Add(node.ToArray());
        return outputs;
    }

    /// <summary>Adds a constant whose bytes are produced by <paramref name="fill"/> when the model is written.</summary>
    public string Initializer(string name, TensorType type, long[] dims, Action<Span<byte>> fill)
    {
        var header = new ProtoMessage().PackedInt64(1, dims).Int64(2, (long)type).String(8, name).ToArray();
        var elements = dims.Aggregate(1L, (product, dim) => product * dim);
        _initializers.Add(new PendingTensor(header, elements * ElementSize(type), fill));
        return name;
    }

    public string Constant(string name, long[] dims, params long[] values) =>
        Initializer(name, TensorType.Int64, dims, span =>
        {
            for (var i = 0; i < values.Length; i++)
            {
                BitConverter.TryWriteBytes(span[(i * 8)..], values[i]);
            }
        });

    public void Write(Stream destination, string producer, IReadOnlyList<(string Domain, long Version)> opsets)
    {
        var output = new CodedOutputStream(destination, leaveOpen: true);
        output.WriteTag(1, WireFormat.WireType.Varint);
        output.WriteInt64(8);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteString(producer);
        foreach (var (domain, version) in opsets)
        {
            WriteBytes(output, destination, 8, new ProtoMessage().String(1, domain).Int64(2, version).ToArray());
        }

        var name = new ProtoMessage().String(2, "decoder").ToArray();
        long graphLength = name.Length;
        graphLength += Framed(1, _nodes) + Framed(11, _inputs) + Framed(12, _outputs);
        foreach (var initializer in _initializers)
        {
            graphLength += FramedLength(5, InitializerLength(initializer));
        }

        output.WriteTag(7, WireFormat.WireType.LengthDelimited);
        output.WriteLength(checked((int)graphLength));
        Raw(output, destination, name);
        WriteAll(output, destination, 1, _nodes);
        foreach (var initializer in _initializers)
        {
            var data = new byte[initializer.DataLength];
            initializer.Fill(data);
            output.WriteTag(5, WireFormat.WireType.LengthDelimited);
            output.WriteLength(checked((int)InitializerLength(initializer)));
            Raw(output, destination, initializer.Header);
            output.WriteTag(9, WireFormat.WireType.LengthDelimited);
            output.WriteLength(data.Length);
            Raw(output, destination, data);
        }

        WriteAll(output, destination, 11, _inputs);
        WriteAll(output, destination, 12, _outputs);
        output.Flush();
    }

    private static long InitializerLength(PendingTensor initializer) => initializer.Header.Length + FramedLength(9, initializer.DataLength);

    private static long Framed(int field, List<byte[]> messages) => messages.Sum(message => FramedLength(field, message.Length));

    private static long FramedLength(int field, long length) =>
        CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeLengthSize(checked((int)length)) + length;

    private static void WriteAll(CodedOutputStream output, Stream destination, int field, List<byte[]> messages)
    {
        foreach (var message in messages)
        {
            WriteBytes(output, destination, field, message);
        }
    }

    private static void WriteBytes(CodedOutputStream output, Stream destination, int field, byte[] message)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteLength(message.Length);
        Raw(output, destination, message);
    }

    /// <summary>Copies bytes straight to the file: the coded stream has no public raw write, so flush it first.</summary>
    private static void Raw(CodedOutputStream output, Stream destination, byte[] bytes)
    {
        output.Flush();
        destination.Write(bytes);
    }

    private static int ElementSize(TensorType type) => type switch
    {
        TensorType.Float or TensorType.Int32 => 4,
        TensorType.UInt8 => 1,
        TensorType.Int64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private static ProtoMessage AttributeMessage(NodeAttribute attribute)
    {
        var message = new ProtoMessage().String(1, attribute.Name);
        if (attribute.Int is { } integer)
        {
            return message.Int64(3, integer).Int64(20, 2);
        }

        if (attribute.Float is { } real)
        {
            return message.Float(2, real).Int64(20, 1);
        }

        return message.String(4, attribute.Text!).Int64(20, 3);
    }

    private static byte[] ValueInfo(string name, TensorType type, object[] dims)
    {
        var shape = new ProtoMessage();
        foreach (var dim in dims)
        {
            var dimension = dim switch
            {
                int size => new ProtoMessage().Int64(1, size),
                long size => new ProtoMessage().Int64(1, size),
                string symbol => new ProtoMessage().String(2, symbol),
                _ => throw new ArgumentException($"Unsupported dimension {dim}.", nameof(dims)),
            };
            shape.Message(1, dimension);
        }

        var tensor = new ProtoMessage().Int64(1, (long)type).Message(2, shape);
        var typeProto = new ProtoMessage().Message(1, tensor);
        return new ProtoMessage().String(1, name).Message(2, typeProto).ToArray();
    }
}
