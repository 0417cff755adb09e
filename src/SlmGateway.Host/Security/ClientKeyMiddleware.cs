using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;
using SlmGateway.Host.Limits;

namespace SlmGateway.Host.Security;

/// <summary>
/// Requires a configured client key on the OpenAI API (<c>/v1</c>) when any keys are configured
/// (<c>Authorization: Bearer KEY</c> or <c>api-key: KEY</c>) and applies the key's limits: requests
/// and tokens in fixed one-minute windows, USD spent on remote models per UTC day and month (from
/// <c>Routing:Prices</c>), counted as each answer ends, before its last bytes go out. Health endpoints stay open.
/// </summary>
internal sealed class ClientKeyMiddleware(RequestDelegate next, ClientKeyStore keys, IKeyLimits limits, IOptionsMonitor<RoutingOptions> routing, TimeProvider time)
{
    private const string BearerPrefix = "Bearer ";

    public Task InvokeAsync(HttpContext context) =>
        keys.IsEnabled && context.Request.Path.StartsWithSegments("/v1") ? CheckKeyAsync(context) : next(context);

    private async Task CheckKeyAsync(HttpContext context)
    {
        var presented = PresentedKey(context.Request.Headers);
        if (presented is null)
        {
            await ErrorWriter.WriteAsync(context.Response, GatewayError.Unauthorized(
                "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'."));
            return;
        }

        var key = keys.Find(presented);
        if (key is null)
        {
            await ErrorWriter.WriteAsync(context.Response, GatewayError.Unauthorized("Incorrect API key provided."));
            return;
        }

        var trace = context.Features.Get<RequestTrace>();
        trace?.ClientKeyId = key.Id;
        if (!key.HasLimits)
        {
            await next(context);
            return;
        }

        var verdict = await limits.AdmitAsync(key, time.GetUtcNow(), context.RequestAborted);
        if (verdict.Error is { } refused)
        {
            await ErrorWriter.WriteAsync(context.Response, refused, verdict.RetryAfter);
            return;
        }

        if (key.TokensPerMinute > 0 || key.DailyBudgetUsd > 0 || key.MonthlyBudgetUsd > 0)
        {
            await ServeCountingUsageAsync(context, key, trace);
            return;
        }

        await next(context);
    }

    /// <summary>Serves the request and counts what it used before the answer's last bytes go out (<see cref="AnswerEndHoldStream"/>).</summary>
    private async Task ServeCountingUsageAsync(HttpContext context, ClientKeyOptions key, RequestTrace? trace)
    {
        var body = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        var held = new AnswerEndHoldStream(body.Stream, context.Response);
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(held, body));
        try
        {
            await next(context);
            if (trace?.Route is not null)
            {
                await limits.RecordAsync(key, (trace.Final.InputTokens ?? 0) + (trace.Final.OutputTokens ?? 0), RemoteCost(trace), time.GetUtcNow());
            }
        }
        finally
        {
            context.Features.Set(body);
            await held.ReleaseAsync(context.RequestAborted);
        }
    }

    /// <summary>What the answer cost at the configured price of the remote model that gave it; nothing for a local answer.</summary>
    private double RemoteCost(RequestTrace trace) =>
        trace.Route == BackendKeys.Remote && trace.Model is { } model && routing.CurrentValue.Prices.TryGetValue(model, out var price)
            ? ((trace.Final.InputTokens ?? 0) * price.InputPerMillion + (trace.Final.OutputTokens ?? 0) * price.OutputPerMillion) / 1_000_000
            : 0;

    private static string? PresentedKey(IHeaderDictionary headers)
    {
        var authorization = headers[HeaderNames.Authorization].ToString();
        if (authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization[BearerPrefix.Length..].Trim();
            return token.Length == 0 ? null : token;
        }

        var apiKey = headers["api-key"].ToString();
        return apiKey.Length == 0 ? null : apiKey;
    }
}
