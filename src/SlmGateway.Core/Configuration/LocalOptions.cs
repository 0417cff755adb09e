namespace SlmGateway.Core.Configuration;

/// <summary>Small language models served in-process, bound from <c>SlmGateway:Local</c>.</summary>
public sealed class LocalOptions
{
    public const string Section = "SlmGateway:Local";

    public List<LocalModelOptions> Models { get; set; } = [];
}

/// <summary>One model folder in ONNX Runtime GenAI format and how to serve it.</summary>
public sealed class LocalModelOptions
{
    /// <summary>The public model name clients ask for.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The model folder (<c>genai_config.json</c>, the ONNX model, the tokenizer); a relative path is looked for from the working directory upwards.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>The tool-call syntax the model was trained on: <c>qwen</c> (Hermes <c>&lt;tool_call&gt;</c>), <c>llama3</c> or <c>phi4</c>.</summary>
    public string Family { get; set; } = "qwen";

    /// <summary>Execution provider: <c>cpu</c> or <c>cuda</c>.</summary>
    public string Provider { get; set; } = "cpu";

    /// <summary>Intra-op threads per generation step; 0 takes the machine's core count.</summary>
    public int Threads { get; set; }

    /// <summary>Generations that run at once; more requests wait in the queue.</summary>
    public int MaxConcurrency { get; set; } = 1;

    /// <summary>Requests that may wait for a generation slot; beyond it the model is overloaded (spill or 429).</summary>
    public int QueueLength { get; set; } = 16;

    /// <summary>
    /// When every slot is busy and the predicted wait (queued requests × average generation time ÷
    /// slots) is longer than this, a request that has a remote model spills there instead of queueing.
    /// </summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound on prompt plus output tokens; 0 takes the model's own context length.</summary>
    public int ContextLength { get; set; }

    /// <summary>The most tokens one answer may have, and the default when a request names none.</summary>
    public int MaxOutputTokens { get; set; } = 1024;

    /// <summary>Work this model may serve (for the router), e.g. <c>tool_call</c>, <c>json</c>, <c>chat</c>.</summary>
    public List<string> Tasks { get; set; } = [];

    /// <summary>
    /// Constrained decoding for required or named tool calls and for <c>response_format</c>. Off, the
    /// model writes freely and the router's validation decides (escalating what fails).
    /// </summary>
    public bool Guidance { get; set; } = true;

    /// <summary>
    /// Longest one generation may run; past it the answer ends as if it had reached its token limit
    /// (<c>finish_reason: length</c>), so that no request, guided or not, can hold a slot for long.
    /// </summary>
    public TimeSpan MaxGenerationTime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest string that constrained decoding lets a schema without <c>maxLength</c> produce.</summary>
    public int GuidedMaxStringLength { get; set; } = 256;

    /// <summary>The model writes random text (a generated fixture); said at start-up and in <c>/v1/models</c>.</summary>
    public bool RandomWeights { get; set; }

    /// <summary>LoRA adapters (GenAI <c>.onnx_adapter</c> files), each active for the task clusters it was trained on.</summary>
    public List<LocalAdapterOptions> Adapters { get; set; } = [];

    /// <summary>
    /// The task clusters this model is a specialist for (a model the conversion loop distilled for
    /// them): it shadows their remote calls, whatever its <see cref="Tasks"/>.
    /// </summary>
    public List<long> Clusters { get; set; } = [];

    /// <summary>
    /// Answer fields whose values must occur in the request, else the answer is escalated as
    /// ungrounded: <c>tool.argument</c> for a tool call's top-level argument, <c>content.field</c> for
    /// a top-level field of a JSON answer. A distilled specialist gets the fields its teacher took
    /// from the request in its training examples.
    /// </summary>
    public List<string> GroundedFields { get; set; } = [];

    /// <summary>
    /// The values of answer fields that take one of a few values (a unit code, a status), each with
    /// the request words that went with it. An answer whose field holds a value not listed, or a
    /// value whose words are all missing from the request, is escalated. A distilled specialist gets
    /// the values its teacher gave in its training examples.
    /// </summary>
    public List<AnswerFieldValue> FieldValues { get; set; } = [];

    /// <summary>
    /// Pairs of fields with few values over the same values that (nearly) never took the same one in
    /// the examples (<c>from_unit</c> and <c>to_unit</c>): an answer where they are equal is escalated.
    /// </summary>
    public List<AnswerFieldPair> DifferentFields { get; set; } = [];
}

/// <summary>Two answer fields (<c>tool.argument</c> or <c>content.field</c>) that must not hold the same value.</summary>
public sealed class AnswerFieldPair
{
    public string First { get; set; } = string.Empty;

    public string Second { get; set; } = string.Empty;

    /// <summary>
    /// The ask's words (<c>#</c> for a number) that stood right before the first field's value words
    /// in the examples: one of the answer's value words must stand after one of them, else the two
    /// fields are taken to be swapped. None: not checked.
    /// </summary>
    public List<string> FirstPrecededBy { get; set; } = [];

    /// <summary>The same for the second field.</summary>
    public List<string> SecondPrecededBy { get; set; } = [];
}

/// <summary>A value that an answer field took, and the request words of which at least one went with it (none: the value is allowed unchecked).</summary>
public sealed class AnswerFieldValue
{
    /// <summary><c>tool.argument</c> or <c>content.field</c>, as in <see cref="LocalModelOptions.GroundedFields"/>.</summary>
    public string Field { get; set; } = string.Empty;

    public string Value { get; set; } = string.Empty;

    /// <summary>Lower-case words, one of which the request must contain for the value to be served.</summary>
    public List<string> Words { get; set; } = [];
}

/// <summary>A LoRA adapter of a local model and the task clusters (conversion loop ids) it serves.</summary>
public sealed class LocalAdapterOptions
{
    public string Name { get; set; } = string.Empty;

    /// <summary>The <c>.onnx_adapter</c> file, for a model exported with LoRA inputs.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>The clusters whose requests this model serves with the adapter active (when promoted, and in shadow runs).</summary>
    public List<long> Clusters { get; set; } = [];

    /// <summary>The adapter a model uses for a cluster, if it has one.</summary>
    public static string? For(LocalModelOptions? model, long clusterId) =>
        model?.Adapters.FirstOrDefault(adapter => adapter.Clusters.Contains(clusterId))?.Name;
}
