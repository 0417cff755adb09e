namespace SlmGateway.ModelGen;

/// <summary>
/// The fixture's chat template: ChatML with tools rendered into the system turn and tool calls as
/// <c>&lt;tool_call&gt;</c> JSON (the Qwen2.5/Hermes convention), written in the Jinja dialect that
/// ONNX Runtime GenAI's <c>ApplyChatTemplate</c> evaluates.
/// </summary>
internal static class ChatMlTemplate
{
    /// <summary>ChatML with the tool signatures in the system turn.</summary>
    public const string Text = ToolsAndSystem + "\n" + Turns;

    /// <summary>
    /// A task specialist's template: the same turns without the tool signatures. A specialist serves the
    /// one tool set of its task cluster, learned in training, so it needs no prompt for it, and
    /// training and serving on short prompts cost a fraction of the time.
    /// </summary>
    public const string Specialist = SystemOnly + "\n" + Turns;

    private const string ToolsAndSystem =
        """
        {%- if tools %}
        {{- '<|im_start|>system\n' }}
        {%- if messages[0].role == 'system' %}{{- messages[0].content + '\n\n' }}{%- endif %}
        {{- '# Tools\n\nYou may call functions. Their signatures are inside <tools></tools>:\n<tools>' }}
        {%- for tool in tools %}{{- '\n' + (tool | tojson) }}{%- endfor %}
        {{- '\n</tools>\n\nTo call a function, answer with a JSON object of its name and arguments inside <tool_call></tool_call> tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' }}
        {%- elif messages[0].role == 'system' %}
        {{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
        {%- endif %}
        """;

    private const string SystemOnly =
        """
        {%- if messages[0].role == 'system' %}
        {{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
        {%- endif %}
        """;

    private const string Turns =
        """
        {%- for message in messages %}
        {%- if message.role == 'user' or (message.role == 'system' and not loop.first) or (message.role == 'assistant' and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}
        {%- elif message.role == 'assistant' %}
        {{- '<|im_start|>assistant' }}
        {%- if message.content %}{{- '\n' + message.content }}{%- endif %}
        {%- for tool_call in message.tool_calls %}
        {{- '\n<tool_call>\n{"name": "' + tool_call.function.name + '", "arguments": ' + (tool_call.function.arguments | tojson) + '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
        {%- elif message.role == 'tool' %}
        {%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}
        {{- '\n<tool_response>\n' + message.content + '\n</tool_response>' }}
        {%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\n' }}{%- endif %}
        {%- endif %}
        {%- endfor %}
        {%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}
        """;
}
