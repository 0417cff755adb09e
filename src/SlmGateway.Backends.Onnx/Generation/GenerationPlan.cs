namespace SlmGateway.Backends.Onnx.Generation;

/// <summary>Everything one generation needs, decided before a slot is taken.</summary>
internal sealed record GenerationPlan(
    int[] PromptTokens,
    int MaxNewTokens,
    double Temperature,
    double TopP,
    long? Seed,
    IReadOnlyList<string> Stop,
    GuidanceSpec? Guidance,
    int? TopLogprobs,
    bool MeasureConfidence)
{
    /// <summary>The LoRA adapter to activate, by name, when the request's task cluster has one.</summary>
    public string? Adapter { get; init; }

    /// <summary>
    /// Log-probabilities are read from the logits only when something uses them. The first token's
    /// logits come with the whole prompt's (prompt length × vocabulary floats: 180 MB for 300 tokens
    /// of Qwen2.5, measured at 320-640 ms to read), so confidence skips the first token, and only
    /// requested <c>logprobs</c> pay for it.
    /// </summary>
    public bool ReadsLogits => TopLogprobs is not null || MeasureConfidence;
}

/// <summary>Constrained decoding: a GenAI guidance type (<c>json_schema</c>, <c>regex</c>, <c>lark_grammar</c>) and its definition.</summary>
internal sealed record GuidanceSpec(string Type, string Data);
