using System.Text;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Conversion.Clustering;

/// <summary>
/// What identifies a task: the tools offered, the last user turn and the start of the system prompt,
/// in that order, because the embedding reads only the first 64 word pieces.
/// </summary>
internal static class TaskSignature
{
    private const int SystemChars = 200;

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
            text.Append("system: ").Append(prompt.Length > SystemChars ? prompt[..SystemChars] : prompt);
        }

        return text.ToString();
    }

    public static string? ToolNames(ChatCompletionRequest request) =>
        request.Tools is { Count: > 0 } tools ? string.Join(',', tools.Select(t => t.Function?.Name)) : null;
}
