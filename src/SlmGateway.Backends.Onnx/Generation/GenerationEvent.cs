using SlmGateway.Contracts.Chat;

namespace SlmGateway.Backends.Onnx.Generation;

/// <summary>What a running generation reports to the request that waits for it.</summary>
internal abstract record GenerationEvent;

/// <summary>One generated token: the text it makes visible (may be empty while a stop sequence or a UTF-8 character is incomplete).</summary>
internal sealed record TokenGenerated(string Text, TokenLogprob? Logprob) : GenerationEvent;

/// <summary>The end: why it stopped, how many tokens it made, how sure the model was, and its timing (seconds from its start).</summary>
internal sealed record GenerationFinished(string FinishReason, int CompletionTokens, Confidence? Confidence) : GenerationEvent
{
    public double FirstTokenSeconds { get; init; }

    public double LastTokenSeconds { get; init; }
}

/// <summary>Mean and minimum log-probability of the generated tokens after the first (see <see cref="GenerationPlan.ReadsLogits"/>); the router reads it to decide on escalation.</summary>
public sealed record Confidence(double MeanLogprob, double MinLogprob);
