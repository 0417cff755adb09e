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
    /// <summary>Log-probabilities are read from the logits only when something uses them.</summary>
    public bool ReadsLogits => TopLogprobs is not null || MeasureConfidence;
}

/// <summary>Constrained decoding: a GenAI guidance type (<c>json_schema</c>, <c>regex</c>, <c>lark_grammar</c>) and its definition.</summary>
internal sealed record GuidanceSpec(string Type, string Data);
