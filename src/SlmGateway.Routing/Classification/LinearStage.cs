using System.Numerics.Tensors;

namespace SlmGateway.Routing.Classification;

/// <summary>One logistic regression of the router: the probability that local suffices is the sigmoid of weights · input + bias.</summary>
internal sealed record LinearStage(float[] Weights, float Bias)
{
    public double Probability(ReadOnlySpan<float> first, ReadOnlySpan<float> second)
    {
        var weights = Weights.AsSpan();
        return Sigmoid(Bias + TensorPrimitives.Dot(weights[..first.Length], first) + TensorPrimitives.Dot(weights[first.Length..], second));
    }

    /// <summary>For sparse input: only the set slots count.</summary>
    public double Probability(int[] indices, float[] values)
    {
        double logit = Bias;
        for (var i = 0; i < indices.Length; i++)
        {
            logit += Weights[indices[i]] * values[i];
        }

        return Sigmoid(logit);
    }

    public bool IsFinite => float.IsFinite(Bias) && Weights.All(float.IsFinite);

    private static double Sigmoid(double logit) => 1 / (1 + Math.Exp(-logit));
}
