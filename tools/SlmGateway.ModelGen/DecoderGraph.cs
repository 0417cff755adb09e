using SlmGateway.ModelGen.Onnx;

namespace SlmGateway.ModelGen;

/// <summary>
/// Builds the ONNX graph of a decoder in the layout ONNX Runtime GenAI expects of a <c>qwen2</c>
/// model: inputs <c>input_ids</c>, <c>attention_mask</c>, <c>past_key_values.N.key/value</c>; outputs
/// <c>logits</c>, <c>present.N.key/value</c>; projections as 4-bit MatMulNBits or float MatMul (as
/// <paramref name="weights"/> has them) and GroupQueryAttention with rotary embedding inside, so the
/// KV cache can share one buffer.
/// </summary>
internal sealed class DecoderGraph(DecoderShape shape, DecoderWeights weights)
{
    private const string Microsoft = "com.microsoft";
    private const float Epsilon = 1e-6f;
    private readonly OnnxModelWriter _writer = new();

    public OnnxModelWriter Build()
    {
        DeclareInputsAndOutputs();
        var (seqlensK, totalLength) = AttentionLengths();
        var (cos, sin) = RotaryCaches();

        var embedding = FloatInitializer("model.embed_tokens.weight", [shape.VocabSize, shape.HiddenSize]);
        var hidden = _writer.Node("Gather", [embedding, "input_ids"], "embedded");
        for (var layer = 0; layer < shape.Layers; layer++)
        {
            hidden = Layer(layer, hidden, seqlensK, totalLength, cos, sin);
        }

        var normed = RmsNorm("model.norm", hidden);
        if (weights.LogitBias is not { } fillBias)
        {
            Linear("lm_head", normed, shape.HiddenSize, shape.VocabSize, "logits");
            return _writer;
        }

        var rawLogits = Linear("lm_head", normed, shape.HiddenSize, shape.VocabSize);
        var bias = _writer.Initializer("lm_head.likely_token_bias", TensorType.Float, [shape.VocabSize], fillBias);
        _writer.Node("Add", [rawLogits, bias], "logits");
        return _writer;
    }

    private void DeclareInputsAndOutputs()
    {
        _writer.Input("input_ids", TensorType.Int64, "batch_size", "sequence_length");
        _writer.Input("attention_mask", TensorType.Int64, "batch_size", "total_sequence_length");
        for (var layer = 0; layer < shape.Layers; layer++)
        {
            foreach (var kind in new[] { "key", "value" })
            {
                _writer.Input($"past_key_values.{layer}.{kind}", TensorType.Float, "batch_size", shape.KvHeads, "past_sequence_length", shape.HeadSize);
            }
        }

        _writer.Output("logits", TensorType.Float, "batch_size", "sequence_length", shape.VocabSize);
        for (var layer = 0; layer < shape.Layers; layer++)
        {
            foreach (var kind in new[] { "key", "value" })
            {
                _writer.Output($"present.{layer}.{kind}", TensorType.Float, "batch_size", shape.KvHeads, "total_sequence_length", shape.HeadSize);
            }
        }
    }

    /// <summary>GroupQueryAttention wants, per sequence, the index of its last valid token, and the total length as a scalar.</summary>
    private (string SeqlensK, string TotalLength) AttentionLengths()
    {
        var axis = _writer.Constant("const.axis1", [1], 1);
        var one = _writer.Constant("const.one", [], 1);
        var summed = _writer.Node("ReduceSum", ["attention_mask", axis], "mask.sum", attributes: NodeAttribute.Of("keepdims", 0L));
        var lastIndex = _writer.Node("Sub", [summed, one], "mask.last_index");
        var seqlensK = _writer.Node("Cast", [lastIndex], "seqlens_k", attributes: NodeAttribute.Of("to", (long)TensorType.Int32));
        var maskShape = _writer.Node("Shape", ["attention_mask"], "mask.shape");
        var length = _writer.Node("Gather", [maskShape, one], "mask.total_length", attributes: NodeAttribute.Of("axis", 0L));
        var totalLength = _writer.Node("Cast", [length], "total_seq_len", attributes: NodeAttribute.Of("to", (long)TensorType.Int32));
        return (seqlensK, totalLength);
    }

    private (string Cos, string Sin) RotaryCaches()
    {
        var half = shape.HeadSize / 2;
        long[] dims = [shape.ContextLength, half];
        float Angle(int position, int i) => position / MathF.Pow(10000f, 2f * i / shape.HeadSize);
        var cos = _writer.Initializer("rotary.cos_cache", TensorType.Float, dims, span => FillTable(span, half, (p, i) => MathF.Cos(Angle(p, i))));
        var sin = _writer.Initializer("rotary.sin_cache", TensorType.Float, dims, span => FillTable(span, half, (p, i) => MathF.Sin(Angle(p, i))));
        return (cos, sin);
    }

    private string Layer(int layer, string input, string seqlensK, string totalLength, string cos, string sin)
    {
        var prefix = $"model.layers.{layer}";
        var kvWidth = shape.KvHeads * shape.HeadSize;
        var normed = RmsNorm($"{prefix}.input_layernorm", input);
        var query = Linear($"{prefix}.attn.q_proj", normed, shape.HiddenSize, shape.HiddenSize);
        var key = Linear($"{prefix}.attn.k_proj", normed, shape.HiddenSize, kvWidth);
        var value = Linear($"{prefix}.attn.v_proj", normed, shape.HiddenSize, kvWidth);
        var attention = _writer.NodeWithOutputs(
            "GroupQueryAttention",
            [query, key, value, $"past_key_values.{layer}.key", $"past_key_values.{layer}.value", seqlensK, totalLength, cos, sin],
            [$"{prefix}.attn.output", $"present.{layer}.key", $"present.{layer}.value"],
            Microsoft,
            NodeAttribute.Of("num_heads", (long)shape.Heads),
            NodeAttribute.Of("kv_num_heads", (long)shape.KvHeads),
            NodeAttribute.Of("do_rotary", 1L),
            NodeAttribute.Of("scale", 1f / MathF.Sqrt(shape.HeadSize)))[0];
        var projected = Linear($"{prefix}.attn.o_proj", attention, shape.HiddenSize, shape.HiddenSize);
        var afterAttention = _writer.Node("Add", [input, projected], $"{prefix}.attn.residual");

        var mlpInput = RmsNorm($"{prefix}.post_attention_layernorm", afterAttention);
        var gate = Linear($"{prefix}.mlp.gate_proj", mlpInput, shape.HiddenSize, shape.IntermediateSize);
        var up = Linear($"{prefix}.mlp.up_proj", mlpInput, shape.HiddenSize, shape.IntermediateSize);
        var gateSigmoid = _writer.Node("Sigmoid", [gate], $"{prefix}.mlp.gate_sigmoid");
        var silu = _writer.Node("Mul", [gate, gateSigmoid], $"{prefix}.mlp.silu");
        var gated = _writer.Node("Mul", [silu, up], $"{prefix}.mlp.gated");
        var down = Linear($"{prefix}.mlp.down_proj", gated, shape.IntermediateSize, shape.HiddenSize);
        return _writer.Node("Add", [afterAttention, down], $"{prefix}.mlp.residual");
    }

    private string RmsNorm(string name, string input)
    {
        var weight = FloatInitializer($"{name}.weight", [shape.HiddenSize]);
        return _writer.Node(
            "SimplifiedLayerNormalization",
            [input, weight],
            $"{name}.output",
            attributes: [NodeAttribute.Of("axis", -1L), NodeAttribute.Of("epsilon", Epsilon), NodeAttribute.Of("stash_type", 1L)]);
    }

    private string FloatInitializer(string name, long[] dims) =>
        _writer.Initializer(name, TensorType.Float, dims, span => weights.Fill(name, span.AsFloats()));

    /// <summary>A projection from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>: 4-bit blocks or a float matrix.</summary>
    private string Linear(string name, string input, int inFeatures, int outFeatures, string? output = null)
    {
        output ??= $"{name}.output";
        if (!weights.Quantized)
        {
            var matrix = _writer.Initializer($"{name}.weight", TensorType.Float, [inFeatures, outFeatures],
                span => weights.FillProjection(name, inFeatures, outFeatures, span.AsFloats()));
            return _writer.Node("MatMul", [input, matrix], output);
        }

        var blocks = (inFeatures + shape.BlockSize - 1) / shape.BlockSize;
        var blobSize = shape.BlockSize / 2;
        float[]? scaleValues = null;
        var packed = _writer.Initializer($"{name}.weight_q4", TensorType.UInt8, [outFeatures, blocks, blobSize], span =>
        {
            scaleValues = new float[outFeatures * blocks];
            weights.FillQuantized(name, inFeatures, span, scaleValues);
        });
        var scales = _writer.Initializer($"{name}.scales", TensorType.Float, [(long)outFeatures * blocks], span => scaleValues!.CopyTo(span.AsFloats()));
        return _writer.Node(
            "MatMulNBits",
            [input, packed, scales],
            output,
            Microsoft,
            NodeAttribute.Of("K", (long)inFeatures),
            NodeAttribute.Of("N", (long)outFeatures),
            NodeAttribute.Of("bits", 4L),
            NodeAttribute.Of("block_size", (long)shape.BlockSize),
            NodeAttribute.Of("accuracy_level", 4L));
    }

    private static void FillTable(Span<byte> span, int width, Func<int, int, float> value)
    {
        var floats = span.AsFloats();
        for (var i = 0; i < floats.Length; i++)
        {
            floats[i] = value(i / width, i % width);
        }
    }
}
