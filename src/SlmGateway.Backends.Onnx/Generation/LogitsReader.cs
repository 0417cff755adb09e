using System.Numerics.Tensors;
using System.Text;
using Microsoft.ML.OnnxRuntimeGenAI;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Backends.Onnx.Generation;

/// <summary>
/// Token log-probabilities from the logits of the step that chose the token (GenAI has no logprobs
/// option): a vectorised log-sum-exp over the last row, and the top alternatives when asked.
/// </summary>
internal sealed class LogitsReader(Tokenizer tokenizer, int vocabSize)
{
    private readonly float[] _scratch = new float[vocabSize];

    public (double Logprob, IReadOnlyList<TopLogprob>? Top) Read(Generator generator, int token, int? topCount)
    {
        using var logits = generator.GetOutput("logits");
        var all = logits.GetData<float>();
        var row = all[^vocabSize..];
        var max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, _scratch);
        TensorPrimitives.Exp(_scratch, _scratch);
        var logNormalizer = max + MathF.Log(TensorPrimitives.Sum(_scratch));
        var logprob = row[token] - logNormalizer;
        return (logprob, topCount is { } count ? Top(row, count, logNormalizer) : null);
    }

    public TokenLogprob Describe(int token, double logprob, IReadOnlyList<TopLogprob>? top)
    {
        var text = tokenizer.Decode([token]);
        return new TokenLogprob(text, logprob, Encoding.UTF8.GetBytes(text), top ?? []);
    }

    private List<TopLogprob> Top(ReadOnlySpan<float> row, int count, float logNormalizer)
    {
        var best = new List<(float Logit, int Token)>(count + 1);
        for (var token = 0; token < row.Length && count > 0; token++)
        {
            var logit = row[token];
            if (best.Count == count && logit <= best[^1].Logit)
            {
                continue;
            }

            var at = best.FindIndex(entry => entry.Logit < logit);
            best.Insert(at < 0 ? best.Count : at, (logit, token));
            if (best.Count > count)
            {
                best.RemoveAt(best.Count - 1);
            }
        }

        return best.ConvertAll(entry =>
        {
            var text = tokenizer.Decode([entry.Token]);
            return new TopLogprob(text, entry.Logit - logNormalizer, Encoding.UTF8.GetBytes(text));
        });
    }
}
