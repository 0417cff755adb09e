using System.Numerics.Tensors;

namespace SlmGateway.Routing.Semantic.Onnx;

/// <summary>
/// Symmetric 8-bit quantization in blocks along a matrix's rows: each block of <see cref="Size"/>
/// values keeps one float scale (its largest magnitude over 127) and stores each value as
/// <c>round(value / scale) + 128</c>, the zero point that MatMulNBits and GatherBlockQuantized assume
/// when none is given. A row is either a stored row or, <c>transposed</c>, a stored column.
/// </summary>
internal static class Int8Blocks
{
    public const int Size = 32;
    private const int ZeroPoint = 128;

    public static void Scales(ReadOnlySpan<float> matrix, int rows, int rowLength, bool transposed, Span<float> scales)
    {
        Span<float> block = stackalloc float[Size];
        var blocksPerRow = rowLength / Size;
        for (var row = 0; row < rows; row++)
        {
            for (var b = 0; b < blocksPerRow; b++)
            {
                Gather(matrix, rows, rowLength, transposed, row, b, block);
                scales[(row * blocksPerRow) + b] = Math.Abs(TensorPrimitives.MaxMagnitude(block)) / 127f;
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> matrix, int rows, int rowLength, bool transposed, int row, ReadOnlySpan<float> scales, Span<byte> destination)
    {
        Span<float> block = stackalloc float[Size];
        var blocksPerRow = rowLength / Size;
        for (var b = 0; b < blocksPerRow; b++)
        {
            Gather(matrix, rows, rowLength, transposed, row, b, block);
            var scale = scales[(row * blocksPerRow) + b];
            var target = destination.Slice(b * Size, Size);
            for (var i = 0; i < Size; i++)
            {
                var level = scale > 0 ? MathF.Round(block[i] / scale) : 0f;
                target[i] = (byte)(Math.Clamp(level, -127f, 127f) + ZeroPoint);
            }
        }
    }

    private static void Gather(ReadOnlySpan<float> matrix, int rows, int rowLength, bool transposed, int row, int block, Span<float> values)
    {
        var first = block * Size;
        if (!transposed)
        {
            matrix.Slice((row * rowLength) + first, Size).CopyTo(values);
            return;
        }

        for (var i = 0; i < Size; i++)
        {
            values[i] = matrix[((first + i) * rows) + row];
        }
    }
}
