using System.Security.Cryptography;
using System.Text;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Execution;

namespace SlmGateway.Core.Routing;

/// <summary>
/// Where an agent session has been served: <c>local</c> (and by which model) until a step of it is
/// served remotely, then <c>remote</c> for good. The tier only moves up.
/// </summary>
public sealed record SessionTier(string Tier, string? Model)
{
    public const string Header = "x-slmgw-session";

    public bool IsRemote => Tier == BackendKeys.Remote;

    /// <summary>Whether serving a later step at <paramref name="served"/> moves the session's tier (an unknown session, or local to remote).</summary>
    public static bool Moves(SessionTier? current, string served) => current is null || (!current.IsRemote && served == BackendKeys.Remote);

    /// <summary>
    /// A conversation's later step (it holds an assistant or tool message) or a request the client
    /// named a session with <c>x-slmgw-session</c>: only such a request is routed by its session's tier.
    /// A first step is routed afresh, and starts (or restarts) its session at the tier that served it.
    /// </summary>
    public static bool ContinuesSession(ChatCompletionRequest chat, string? header) =>
        header is not null || (chat.Messages ?? []).Any(message => message.Role is "assistant" or "tool" or "function");

    /// <summary>
    /// The session a chat request belongs to, with no change to the client: a hash of what stays
    /// the same through an agent's loop (the client key, the model asked, the system and developer
    /// messages, the first user message, the names of the tools offered), or of the client's own
    /// <c>x-slmgw-session</c> value. Null for a request with no user message and no header.
    /// </summary>
    public static string? KeyOf(ChatCompletionRequest chat, string model, string? clientKeyId, string? header)
    {
        var text = new StringBuilder().Append(clientKeyId).Append('\u001f').Append(model).Append('\u001f');
        if (header is not null)
        {
            text.Append("header\u001f").Append(header);
        }
        else
        {
            var firstUser = chat.Messages?.FirstOrDefault(message => message.Role == "user");
            if (firstUser is null)
            {
                return null;
            }

            foreach (var message in chat.Messages!.Where(message => message.Role is "system" or "developer"))
            {
                text.Append(MessageContent.TextOf(message.Content).Text).Append('\u001f');
            }

            text.Append(MessageContent.TextOf(firstUser.Content).Text).Append('\u001f');
            foreach (var name in (chat.Tools ?? []).Select(tool => tool.Function?.Name).Order(StringComparer.Ordinal))
            {
                text.Append(name).Append(',');
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
