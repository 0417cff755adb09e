using SlmGateway.Backends.Onnx.Generation;
using SlmGateway.Core.Routing;

namespace SlmGateway.Backends.Onnx.Serving;

/// <summary>How the generated text becomes the answer.</summary>
internal enum OutputMode
{
    /// <summary>Free text, streamed as it is generated.</summary>
    Text,

    /// <summary>Free text that may hold tool calls in the family's syntax (tool_choice auto).</summary>
    ToolCallsInText,

    /// <summary>Exactly one call, <c>{"name", "arguments"}</c>, forced by guidance (tool_choice required or named).</summary>
    GuidedToolCall,

    /// <summary>JSON forced by guidance (response_format).</summary>
    Json,
}

/// <summary>A chat request made ready for one local model.</summary>
internal sealed record LocalChatPlan(GenerationPlan Generation, RequestShape Shape, OutputMode Mode, bool ParallelToolCalls, bool IncludeUsage, bool Logprobs)
{
    /// <summary>Answers that may turn out to be tool calls or must be whole JSON are generated in full before anything is sent.</summary>
    public bool Buffered => Mode != OutputMode.Text;
}
