namespace SlmGateway.Routing.Semantic.Onnx;

/// <summary>A node of an ONNX graph: where its field lies in the graph's bytes and what it reads.</summary>
internal sealed record OnnxNode(Range Field, string Name, string OpType, string Domain, string[] Inputs, string[] Outputs, long Axis);

/// <summary>A float, int or other tensor initializer stored as raw bytes in the graph.</summary>
internal sealed record OnnxInitializer(Range Field, string Name, int DataType, long[] Dims, Range RawData);

/// <summary>The fields of an ONNX GraphProto (field numbers from onnx.proto), located without copying.</summary>
internal sealed class OnnxGraphIndex
{
    private const int NodeField = 1;
    private const int InitializerField = 5;
    private const int OutputField = 12;

    public List<OnnxNode> Nodes { get; } = [];

    public Dictionary<string, OnnxInitializer> Initializers { get; } = new(StringComparer.Ordinal);

    public HashSet<string> GraphOutputs { get; } = new(StringComparer.Ordinal);

    /// <summary>Every field of the graph in order, as ranges of its bytes.</summary>
    public List<(int Field, Range Bytes)> Fields { get; } = [];

    public static OnnxGraphIndex Read(ReadOnlySpan<byte> graph)
    {
        var index = new OnnxGraphIndex();
        var reader = new ProtobufReader(graph);
        while (true)
        {
            var start = reader.Position;
            if (!reader.Next(out var field, out var wireType))
            {
                return index;
            }

            if (wireType != ProtobufReader.LengthDelimited)
            {
                reader.Skip(wireType);
                index.Fields.Add((field, start..reader.Position));
                continue;
            }

            var value = reader.ReadLengthDelimited();
            var valueStart = reader.Position - value.Length;
            var range = start..reader.Position;
            index.Fields.Add((field, range));
            switch (field)
            {
                case NodeField:
                    index.Nodes.Add(ReadNode(value, range));
                    break;
                case InitializerField:
                    var initializer = ReadInitializer(value, range, valueStart);
                    index.Initializers[initializer.Name] = initializer;
                    break;
                case OutputField:
                    index.GraphOutputs.Add(ReadValueInfoName(value));
                    break;
            }
        }
    }

    private static OnnxNode ReadNode(ReadOnlySpan<byte> node, Range field)
    {
        List<string> inputs = [], outputs = [];
        string name = "", opType = "", domain = "";
        long axis = 0;
        var reader = new ProtobufReader(node);
        while (reader.Next(out var number, out var wireType))
        {
            switch (number, wireType)
            {
                case (1, ProtobufReader.LengthDelimited):
                    inputs.Add(Text(reader.ReadLengthDelimited()));
                    break;
                case (2, ProtobufReader.LengthDelimited):
                    outputs.Add(Text(reader.ReadLengthDelimited()));
                    break;
                case (3, ProtobufReader.LengthDelimited):
                    name = Text(reader.ReadLengthDelimited());
                    break;
                case (4, ProtobufReader.LengthDelimited):
                    opType = Text(reader.ReadLengthDelimited());
                    break;
                case (5, ProtobufReader.LengthDelimited):
                    axis = ReadAxis(reader.ReadLengthDelimited()) ?? axis;
                    break;
                case (7, ProtobufReader.LengthDelimited):
                    domain = Text(reader.ReadLengthDelimited());
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return new OnnxNode(field, name, opType, domain, [.. inputs], [.. outputs], axis);
    }

    /// <summary>The value of an attribute named <c>axis</c>; null for any other attribute.</summary>
    private static long? ReadAxis(ReadOnlySpan<byte> attribute)
    {
        string? name = null;
        long? value = null;
        var reader = new ProtobufReader(attribute);
        while (reader.Next(out var number, out var wireType))
        {
            switch (number, wireType)
            {
                case (1, ProtobufReader.LengthDelimited):
                    name = Text(reader.ReadLengthDelimited());
                    break;
                case (3, ProtobufReader.Varint):
                    value = (long)reader.ReadVarint();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return name == "axis" ? value : null;
    }

    private static OnnxInitializer ReadInitializer(ReadOnlySpan<byte> tensor, Range field, int tensorStart)
    {
        List<long> dims = [];
        var name = "";
        var dataType = 0;
        Range rawData = default;
        var reader = new ProtobufReader(tensor);
        while (reader.Next(out var number, out var wireType))
        {
            switch (number, wireType)
            {
                case (1, ProtobufReader.Varint):
                    dims.Add((long)reader.ReadVarint());
                    break;
                case (1, ProtobufReader.LengthDelimited):
                    var packed = new ProtobufReader(reader.ReadLengthDelimited());
                    while (!packed.AtEnd)
                    {
                        dims.Add((long)packed.ReadVarint());
                    }

                    break;
                case (2, ProtobufReader.Varint):
                    dataType = (int)reader.ReadVarint();
                    break;
                case (8, ProtobufReader.LengthDelimited):
                    name = Text(reader.ReadLengthDelimited());
                    break;
                case (9, ProtobufReader.LengthDelimited):
                    var raw = reader.ReadLengthDelimited();
                    rawData = (tensorStart + reader.Position - raw.Length)..(tensorStart + reader.Position);
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return new OnnxInitializer(field, name, dataType, [.. dims], rawData);
    }

    private static string ReadValueInfoName(ReadOnlySpan<byte> valueInfo)
    {
        var reader = new ProtobufReader(valueInfo);
        while (reader.Next(out var number, out var wireType))
        {
            if (number == 1 && wireType == ProtobufReader.LengthDelimited)
            {
                return Text(reader.ReadLengthDelimited());
            }

            reader.Skip(wireType);
        }

        return "";
    }

    private static string Text(ReadOnlySpan<byte> utf8) => System.Text.Encoding.UTF8.GetString(utf8);
}
