using Microsoft.ML.OnnxRuntimeGenAI;

namespace SlmGateway.Distill;

/// <summary>Greedy answers of the trained model to held-back examples, compared token for token with the teacher's.</summary>
internal static class SpecialistEvaluator
{
    /// <summary>How many answers were exact, and the first <paramref name="missesKept"/> that were not, as text.</summary>
    public static (int Exact, List<AnswerMiss> Misses) Evaluate(Model model, IReadOnlyList<TokenizedExample> examples, int missesKept)
    {
        using var tokenizer = new Tokenizer(model);
        var (exact, misses) = (0, new List<AnswerMiss>());
        foreach (var example in examples)
        {
            var answer = Answer(model, example);
            if (answer.AsSpan().SequenceEqual(example.Target))
            {
                exact++;
            }
            else if (misses.Count < missesKept)
            {
                misses.Add(new AnswerMiss(tokenizer.Decode(example.Target.ToArray()), tokenizer.Decode(answer)));
            }
        }

        return (exact, misses);
    }

    private static int[] Answer(Model model, TokenizedExample example)
    {
        using var parameters = new GeneratorParams(model);
        parameters.SetSearchOption("max_length", example.Ids.Length + 8);
        parameters.SetSearchOption("do_sample", false);
        using var generator = new Generator(model, parameters);
        generator.AppendTokens(example.Prompt);
        var answer = new List<int>();
        while (!generator.IsDone())
        {
            generator.GenerateNextToken();
            var token = generator.GetNextTokens()[0];
            answer.Add(token);
            if (token == example.Ids[^1])
            {
                break;
            }
        }

        return [.. answer];
    }
}

/// <summary>A held-back answer the specialist got wrong: the teacher's and its own.</summary>
internal sealed record AnswerMiss(string Expected, string Answered);
