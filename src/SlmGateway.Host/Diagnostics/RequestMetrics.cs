using System.Diagnostics;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Diagnostics;
using SlmGateway.Core.Execution;

namespace SlmGateway.Host.Diagnostics;

/// <summary>
/// Records each routed request when it completes, from its <see cref="RequestTrace"/>: duration,
/// decision, tokens, local timing, retries and the estimated cost saved; and puts the same GenAI
/// attributes on the request's span when one is being traced.
/// </summary>
internal sealed class RequestMetrics(GatewayMetrics metrics, IOptionsMonitor<RoutingOptions> routing)
{
    /// <summary>Records a request that was routed (has a route); others are not chat traffic.</summary>
    public void Record(HttpContext context, RequestTrace trace, TimeSpan elapsed)
    {
        if (trace.Route is null)
        {
            return;
        }

        var status = context.Response.StatusCode;
        var tags = new TagList
        {
            { "gen_ai.operation.name", "chat" },
            { "gen_ai.request.model", trace.Model },
            { "slmgw.route", trace.Route },
            { "slmgw.reason", trace.Reason },
        };
        if (status >= 400)
        {
            tags.Add("error.type", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var final = trace.Final;
        metrics.OperationDuration.Record(elapsed.TotalSeconds, tags);
        metrics.Decisions.Add(1, tags);
        RecordTokens(final, tags);
        if (final.FirstTokenSeconds is { } firstToken)
        {
            metrics.TimeToFirstToken.Record(firstToken, new KeyValuePair<string, object?>("gen_ai.request.model", trace.Model));
        }

        if (final.PerOutputTokenSeconds is { } perToken)
        {
            metrics.TimePerOutputToken.Record(perToken, new KeyValuePair<string, object?>("gen_ai.request.model", trace.Model));
        }

        if (trace.UpstreamTries > 1)
        {
            metrics.UpstreamRetries.Add(trace.UpstreamTries - 1, new KeyValuePair<string, object?>("slmgw.upstream", trace.Upstream));
        }

        if (trace.Route == BackendKeys.Local && trace.Plan?.RemoteCounterpart is { } counterpart
            && routing.CurrentValue.Prices.TryGetValue(counterpart, out var price))
        {
            var saved = ((final.InputTokens ?? 0) * price.InputPerMillion + (final.OutputTokens ?? 0) * price.OutputPerMillion) / 1_000_000;
            metrics.CostSaved.Add(saved, new KeyValuePair<string, object?>("gen_ai.request.model", counterpart));
        }

        Activity.Current?.SetTag("gen_ai.operation.name", "chat")
            .SetTag("gen_ai.request.model", trace.Model)
            .SetTag("gen_ai.usage.input_tokens", final.InputTokens)
            .SetTag("gen_ai.usage.output_tokens", final.OutputTokens)
            .SetTag("slmgw.route", trace.Route)
            .SetTag("slmgw.reason", trace.Reason)
            .SetTag("slmgw.confidence", final.ConfidenceMean);
    }

    private void RecordTokens(AttemptReport final, TagList tags)
    {
        if (final.InputTokens is { } input)
        {
            var inputTags = tags;
            inputTags.Add("gen_ai.token.type", "input");
            metrics.TokenUsage.Record(input, inputTags);
        }

        if (final.OutputTokens is { } output)
        {
            var outputTags = tags;
            outputTags.Add("gen_ai.token.type", "output");
            metrics.TokenUsage.Record(output, outputTags);
        }
    }
}
