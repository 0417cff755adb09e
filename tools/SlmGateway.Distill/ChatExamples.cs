using System.Text.Json;
using Microsoft.ML.OnnxRuntimeGenAI;
using SlmGateway.Backends.Onnx.Prompting;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Distill;

/// <summary>
/// One fine-tuning example as the model sees it: the prompt as the gateway renders it for serving
/// (the model's own chat template through GenAI, messages and tools built by the gateway's prompt
/// builder) followed by the teacher's answer up to the end-of-turn token.
/// </summary>
internal sealed record TokenizedExample(int[] Ids, int TargetStart)
{
    /// <summary>Where the values the teacher copied from the ask occur (<see cref="CopyAugmentation"/>).</summary>
    public List<(int Start, int Length)> Copies { get; init; } = [];

    /// <summary>Where its values of fields with few values stand, in the ask and the answer (<see cref="ValueSwaps"/>).</summary>
    public List<SwapSlot> Swaps { get; init; } = [];

    public ReadOnlySpan<int> Prompt => Ids.AsSpan(0, TargetStart);

    public ReadOnlySpan<int> Target => Ids.AsSpan(TargetStart);
}

internal static class ChatExamples
{
    /// <summary>The examples of a fine-tuning file, their redaction placeholders filled with surrogates.</summary>
    public static List<string> ReadLines(string path, Random random) =>
        File.ReadLines(path).Where(line => line.Length > 0).Select(line => RedactionSurrogates.Fill(line, random)).ToList();

    /// <summary>
    /// Tokenizes the examples, and marks where each one's copied and swappable values occur; those that
    /// do not end with an assistant answer, or do not fit the context, are counted as skipped.
    /// </summary>
    public static (List<TokenizedExample> Examples, int Skipped) Tokenize(
        IEnumerable<string> lines, Tokenizer tokenizer, int endOfTurn, int contextLength, IReadOnlyCollection<string> copied, List<SwapField> swapFields)
    {
        var (examples, skipped) = (new List<TokenizedExample>(), 0);
        foreach (var line in lines)
        {
            var example = Tokenize(line, tokenizer, endOfTurn);
            if (example is null || example.Ids.Length > contextLength)
            {
                skipped++;
                continue;
            }

            if (copied.Count > 0 || swapFields.Count > 0)
            {
                var answer = Answer(line)!.Value.Answer;
                example = example with
                {
                    Copies = CopyAugmentation.Spans(example.Ids, answer, copied),
                    Swaps = ValueSwaps.Slots(example.Ids, example.TargetStart, answer, swapFields),
                };
            }

            examples.Add(example);
        }

        return (examples, skipped);
    }

    /// <summary>An example as the request the agent sent and the teacher's answer, or null when it is not a chat ending with an answer.</summary>
    public static (ChatCompletionRequest Request, ChatMessage Answer)? Answer(string line)
    {
        if (Parse(line) is not { Messages: { } messages } request)
        {
            return null;
        }

        return (new ChatCompletionRequest { Messages = messages[..^1], Tools = request.Tools }, messages[^1]);
    }

    /// <summary>A line that is a chat ending with an assistant answer, or null.</summary>
    private static ChatCompletionRequest? Parse(string line)
    {
        ChatCompletionRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(line, WireJsonContext.Default.ChatCompletionRequest);
        }
        catch (JsonException)
        {
            return null;
        }

        return request?.Messages is { Count: >= 2 } messages && messages[^1].Role == "assistant" ? request : null;
    }

    private static TokenizedExample? Tokenize(string line, Tokenizer tokenizer, int endOfTurn)
    {
        if (Parse(line) is not { Messages: { } messages } request)
        {
            return null;
        }

        var tools = ChatPromptBuilder.Tools(request.Tools);
        var (promptMessages, promptError) = ChatPromptBuilder.Messages(messages[..^1]);
        var (allMessages, allError) = ChatPromptBuilder.Messages(messages);
        if (promptError is not null || allError is not null)
        {
            return null;
        }

        var prompt = tokenizer.ApplyChatTemplate(null, promptMessages!, tools, true);
        var full = tokenizer.ApplyChatTemplate(null, allMessages!, tools, false);
        if (!full.StartsWith(prompt, StringComparison.Ordinal))
        {
            return null;
        }

        var promptIds = Encode(tokenizer, prompt);
        var ids = Encode(tokenizer, full);
        var end = Array.LastIndexOf(ids, endOfTurn);
        if (end < promptIds.Length || !ids.AsSpan(0, promptIds.Length).SequenceEqual(promptIds))
        {
            return null;
        }

        return new TokenizedExample(ids[..(end + 1)], promptIds.Length);
    }

    private static int[] Encode(Tokenizer tokenizer, string text)
    {
        using var sequences = tokenizer.Encode(text);
        return sequences[0].ToArray();
    }
}
