using SlmGateway.Routing.Semantic.Onnx;

namespace SlmGateway.Routing.Tests.Semantic;

public sealed class Int8BlocksTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryValue_ComesBackWithinHalfAStepOfItsBlockScale_AndEachBlockUsesTheFullRange(bool transposed)
    {
        const int rows = 5;
        const int rowLength = 3 * Int8Blocks.Size;
        var random = new Random(7);
        var matrix = new float[rows * rowLength];
        for (var i = 0; i < matrix.Length; i++)
        {
            matrix[i] = (random.NextSingle() - 0.5f) * (1 + (i % 13));
        }

        matrix[Index(transposed, rows, rowLength, 2, Int8Blocks.Size)] = -40f;
        var scales = new float[rows * (rowLength / Int8Blocks.Size)];
        Int8Blocks.Scales(matrix, rows, rowLength, transposed, scales);
        var quantized = new byte[rowLength];

        for (var row = 0; row < rows; row++)
        {
            Int8Blocks.Quantize(matrix, rows, rowLength, transposed, row, scales, quantized);
            for (var k = 0; k < rowLength; k++)
            {
                var scale = scales[(row * (rowLength / Int8Blocks.Size)) + (k / Int8Blocks.Size)];
                var restored = (quantized[k] - 128) * scale;
                Assert.InRange(restored - matrix[Index(transposed, rows, rowLength, row, k)], -scale / 2 - 1e-6f, scale / 2 + 1e-6f);
            }

            for (var block = 0; block < rowLength / Int8Blocks.Size; block++)
            {
                var levels = quantized.AsSpan(block * Int8Blocks.Size, Int8Blocks.Size).ToArray().Select(level => Math.Abs(level - 128));
                Assert.Equal(127, levels.Max());
            }
        }

        // The block holding -40 (row 2, second block) stores it as the lowest level with scale 40/127.
        Assert.Equal(40f / 127f, scales[(2 * 3) + 1], 6);
    }

    [Fact]
    public void ABlockOfZeros_HasScaleZero_AndStoresTheZeroPoint()
    {
        var matrix = new float[Int8Blocks.Size];
        var scales = new float[1];
        var quantized = new byte[Int8Blocks.Size];

        Int8Blocks.Scales(matrix, 1, Int8Blocks.Size, transposed: false, scales);
        Int8Blocks.Quantize(matrix, 1, Int8Blocks.Size, transposed: false, 0, scales, quantized);

        Assert.Equal(0f, scales[0]);
        Assert.All(quantized, level => Assert.Equal(128, level));
    }

    private static int Index(bool transposed, int rows, int rowLength, int row, int k) =>
        transposed ? (k * rows) + row : (row * rowLength) + k;
}
