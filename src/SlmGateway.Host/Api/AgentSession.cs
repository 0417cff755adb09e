using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Ports;
using SlmGateway.Core.Routing;

namespace SlmGateway.Host.Api;

/// <summary>
/// The agent session a routed chat request belongs to: found before planning (its tier steers the
/// route), and recorded as the answer starts when the step is a first one or moves the session to a higher tier.
/// </summary>
internal readonly record struct AgentSession(string Key, bool Continues, SessionTier? Tier)
{
    /// <summary>The session of a request the gateway routes itself; null when sessions are off or it has none.</summary>
    public static async ValueTask<AgentSession?> FindAsync(HttpContext context, ChatCompletionRequest? chat, string model, string? clientKeyId, RoutePlanner planner)
    {
        var services = context.RequestServices;
        if (chat is null || !services.GetRequiredService<IOptionsMonitor<RoutingOptions>>().CurrentValue.Sessions.Enabled || !planner.ChoosesRoute(model))
        {
            return null;
        }

        var header = context.Request.Headers[SessionTier.Header] is { Count: > 0 } values ? values.ToString() : null;
        if (SessionTier.KeyOf(chat, model, clientKeyId, header) is not { } key)
        {
            return null;
        }

        var continues = SessionTier.ContinuesSession(chat, header);
        return new AgentSession(key, continues, continues ? await services.GetRequiredService<ISessionTiers>().FindAsync(key, context.RequestAborted) : null);
    }

    /// <summary>
    /// Records the tier that serves the step (always for a first step, for a later one when it moves
    /// the session's) as the answer starts, before its first byte leaves: an agent that sends its next
    /// step the moment it reads this answer, to this replica or another, finds the session recorded.
    /// </summary>
    public void RecordWhenAnswered(HttpContext context, RequestTrace trace) =>
        context.Response.OnStarting(
            static state =>
            {
                var (session, ctx, t) = ((AgentSession, HttpContext, RequestTrace))state;
                return session.RecordAsync(ctx, t).AsTask();
            },
            (this, context, trace));

    private async ValueTask RecordAsync(HttpContext context, RequestTrace trace)
    {
        if (context.Response.StatusCode is >= 200 and < 300 && trace.Route is { } served && (!Continues || SessionTier.Moves(Tier, served)))
        {
            await context.RequestServices.GetRequiredService<ISessionTiers>().RecordAsync(Key, new SessionTier(served, trace.Model), !Continues, CancellationToken.None);
        }
    }
}
