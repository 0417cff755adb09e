using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using SlmGateway.Routing.Semantic;
using SlmGateway.Routing.Semantic.Onnx;

namespace SlmGateway.Routing.Tests.Semantic;

/// <summary>The 8-bit MiniLM the gateway loads, against the float32 model the package carries.</summary>
public sealed class MiniLmInt8Tests : IDisposable
{
    private static readonly string[] Texts =
    [
        "Where is parcel 77120 right now?",
        "Cancel order 5531 and tell me when the refund arrives.",
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did she sell altogether?",
        "def has_close_elements(numbers: list[float], threshold: float) -> bool:\n    \"\"\"Check if any two numbers are closer to each other than the threshold.\"\"\"",
        "Write a 300+ word summary of the wikipedia page on the history of the printing press. Do not use any commas and highlight at least 3 sections with markdown.",
        string.Join(' ', Enumerable.Repeat("The quarterly report lists revenue, costs and the outlook for each region.", 12)) + " What was the outlook for Europe?",
    ];

    private readonly MiniLmEmbedder _float;
    private readonly MiniLmEmbedder _int8;
    private readonly long _floatBytes;
    private readonly long _int8Bytes;

    public MiniLmInt8Tests()
    {
        using var model = MiniLmModelFile.FloatModel();
        var floatModel = new byte[model.Length];
        model.ReadExactly(floatModel);
        using var rewritten = new MemoryStream();
        Int8WeightRewriter.Rewrite(floatModel, rewritten);
        _floatBytes = floatModel.Length;
        _int8Bytes = rewritten.Length;
        _float = new MiniLmEmbedder(new InferenceSession(floatModel));
        _int8 = new MiniLmEmbedder(new InferenceSession(rewritten.ToArray()));
    }

    [Fact]
    public void TheRewrittenModel_IsUnderAThirdOfTheFloatModel()
    {
        Assert.InRange(_int8Bytes, 1, _floatBytes / 3);
    }

    [Fact]
    public void EachEmbedding_PointsTheSameWayAsTheFloatModels()
    {
        foreach (var text in Texts)
        {
            Assert.InRange(TensorPrimitives.Dot(_float.Embed(text), _int8.Embed(text)), 0.998f, 1.0001f);
        }
    }

    [Fact]
    public void SimilaritiesBetweenTexts_StayWithinAHundredthOfTheFloatModels()
    {
        var floats = Texts.Select(_float.Embed).ToArray();
        var int8s = Texts.Select(_int8.Embed).ToArray();
        for (var i = 0; i < Texts.Length; i++)
        {
            for (var j = i + 1; j < Texts.Length; j++)
            {
                var expected = TensorPrimitives.Dot(floats[i], floats[j]);
                Assert.InRange(TensorPrimitives.Dot(int8s[i], int8s[j]), expected - 0.01f, expected + 0.01f);
            }
        }
    }

    public void Dispose()
    {
        _float.Dispose();
        _int8.Dispose();
    }
}
