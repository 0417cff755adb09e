using Microsoft.ML.OnnxRuntimeGenAI;
using SlmGateway.Backends.Onnx.Serving;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Distill;

/// <summary>
/// The job's examples, tokenized: the training split with the places of its copied values marked
/// (<see cref="CopyAugmentation"/>) and of its values of fields with few values (<see cref="ValueSwaps"/>), the selection split that candidates are compared on (cut from
/// the training examples when the job trains several), the held-back split as it is, and what was learned on the way:
/// the answer fields the teacher took from the request (grounded), those of them that training
/// makes up afresh (copied), the values of the fields with few values with the words that go
/// with each, and the pairs of those fields that never hold the same value.
/// </summary>
internal sealed record TrainingSet(
    List<TokenizedExample> Training,
    List<TokenizedExample> Selection,
    int Skipped,
    List<TokenizedExample> Validation,
    List<string> Grounded,
    List<string> Copied,
    List<AnswerFieldValue> FieldValues,
    List<AnswerFieldPair> DifferentFields,
    List<SwapField> SwapFields)
{
    // A field counts as grounded when the teacher took it from the request in 95% of at least 20
    // examples: the check then escalates at most about 5% of right answers, and catches made-up values.
    // The words that go with a value are held to the same share of its examples.
    private const int MinGroundedExamples = 20;
    private const double MinGroundedShare = 0.95;

    // Every tenth training example selects among candidates; under four of them cannot tell candidates
    // apart, and one candidate is trained on every example instead.
    private const int SelectionEvery = 10;
    private const int MinSelectionExamples = 4;

    public static TrainingSet Read(DistillJob job, Tokenizer tokenizer, int endOfTurn, int contextLength)
    {
        var random = new Random(job.Seed);
        var lines = ChatExamples.ReadLines(job.TrainingFile, random);
        var answers = lines.Select(ChatExamples.Answer).OfType<(ChatCompletionRequest, ChatMessage)>().ToList();
        var grounded = AnswerGrounding.Learn(answers, MinGroundedExamples, MinGroundedShare);
        var copied = CopyAugmentation.CopiedFields(answers, grounded);
        var fieldValues = FieldValueEvidence.Learn(answers, MinGroundedExamples, MinGroundedShare);
        var differentFields = FieldPairEvidence.Learn(answers, fieldValues, MinGroundedExamples, MinGroundedShare);
        var swapFields = ValueSwaps.Fields(fieldValues);
        var (training, skipped) = ChatExamples.Tokenize(lines, tokenizer, endOfTurn, contextLength, copied, swapFields);
        var validation = job.ValidationFile is { } file && File.Exists(file)
            ? ChatExamples.Tokenize(ChatExamples.ReadLines(file, random), tokenizer, endOfTurn, contextLength, [], []).Examples
            : [];
        var selection = job.Candidates > 1 && training.Count / SelectionEvery >= MinSelectionExamples
            ? training.Where((_, index) => index % SelectionEvery == SelectionEvery - 1).ToList()
            : [];
        training = selection.Count == 0 ? training : training.Where((_, index) => index % SelectionEvery != SelectionEvery - 1).ToList();
        return new TrainingSet(training, selection, skipped, validation, grounded, copied, fieldValues, differentFields, swapFields);
    }
}
