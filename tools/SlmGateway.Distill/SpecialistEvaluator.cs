using Microsoft.ML.OnnxRuntimeGenAI;

namespace SlmGateway.Distill;

/// <summary>Greedy answers of the trained model to held-back examples, compared token for token with the teacher's.</summary>
internal static class SpecialistEvaluator
{
    public static int CountExact(Model model, IReadOnlyList<TokenizedExample> examples)
    {
        var exact = 0;
        foreach (var example in examples)
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

            exact += answer.SequenceEqual(example.Target.ToArray()) ? 1 : 0;
        }

        return exact;
    }
}
