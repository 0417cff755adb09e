using System.Numerics.Tensors;
using System.Text;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Ports;

namespace SlmGateway.Conversion.Clustering;

/// <summary>
/// What identifies a task: its key (the tools offered or the output asked for), and a text of the
/// tools, the last user turn and the start of the system prompt. The system prompt is embedded on its
/// own and averaged in: it names the agent, and the embedding reads only the first 64 word pieces.
/// </summary>
internal static class TaskSignature
{
    private const int SystemChars = 200;
    private const string SystemLabel = "system: ";

    public static string Of(ChatCompletionRequest request)
    {
        var text = new StringBuilder();
        if (request.Tools is { Count: > 0 } tools)
        {
            text.Append("tools: ").AppendJoin(", ", tools.Select(t => t.Function?.Name)).Append('\n');
        }

        var messages = request.Messages ?? [];
        if (messages.LastOrDefault(m => m.Role == "user") is { } user)
        {
            text.Append("user: ").Append(MessageContent.TextOf(user.Content).Text).Append('\n');
        }

        if (messages.FirstOrDefault(m => m.Role is "system" or "developer") is { } system)
        {
            var prompt = MessageContent.TextOf(system.Content).Text;
            text.Append(SystemLabel).Append(prompt.Length > SystemChars ? prompt[..SystemChars] : prompt);
        }

        return text.ToString();
    }

    /// <summary>
    /// The embedding of a signature (from <see cref="Of"/>): of the ask, averaged with the system
    /// prompt's when there is one (embedded by <paramref name="systemPrompts"/> when given: a cache).
    /// </summary>
    public static float[] Embed(ITextEmbedder embedder, string signature, ITextEmbedder? systemPrompts = null)
    {
        var marker = signature.StartsWith(SystemLabel, StringComparison.Ordinal) ? -1 : signature.IndexOf("\n" + SystemLabel, StringComparison.Ordinal);
        if (marker < 0 && !signature.StartsWith(SystemLabel, StringComparison.Ordinal))
        {
            return embedder.Embed(signature);
        }

        var system = marker + 1;
        var ask = signature[..system];
        var embedding = (systemPrompts ?? embedder).Embed(signature[(system + SystemLabel.Length)..]).ToArray();
        if (ask.Length > 0)
        {
            TensorPrimitives.Add(embedding, embedder.Embed(ask), embedding);
            TensorPrimitives.Divide(embedding, TensorPrimitives.Norm(embedding), embedding);
        }

        return embedding;
    }

    /// <summary>
    /// The exact part of a task's identity: the set of tools offered (an agent sends the same tools with
    /// every step), or without tools the kind of output asked for. Tasks only cluster within one key.
    /// </summary>
    public static string Key(ChatCompletionRequest request) =>
        request.Tools is { Count: > 0 } tools
            ? "tools:" + string.Join(',', tools.Select(t => t.Function?.Name).Order(StringComparer.Ordinal))
            : "output:" + (request.ResponseFormat?.Type ?? "text") + (request.ResponseFormat?.JsonSchema?.Name is { } schema ? ":" + schema : string.Empty);

    public static string? ToolNames(ChatCompletionRequest request) =>
        request.Tools is { Count: > 0 } tools ? string.Join(',', tools.Select(t => t.Function?.Name)) : null;
}
