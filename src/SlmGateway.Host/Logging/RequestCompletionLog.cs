using Serilog.Events;
using Serilog.Parsing;
using SlmGateway.Core.Execution;

namespace SlmGateway.Host.Logging;

/// <summary>
/// The one event per request written when it completes, with the routing decision: built straight
/// from the request's <see cref="RequestTrace"/> against a template parsed once, since binding a
/// template and a diagnostic context per request cost about a quarter of the gateway's CPU per request.
/// </summary>
internal sealed class RequestCompletionLog(Serilog.ILogger logger)
{
    private static readonly MessageTemplate Template = new MessageTemplateParser().Parse(
        "{RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.000} ms (route {Route}, reason {Reason}, upstream {Upstream}, model {Model}, attempts {Attempts}, key {ClientKeyId})");

    // The event's own 14 properties, SourceContext and room for one from the log context (a dictionary of 17).
    private const int PropertyCapacity = 16;

    private readonly Serilog.ILogger _logger = logger.ForContext("SourceContext", "SlmGateway.Requests");
    private readonly RepeatedProperty<string> _method = new("RequestMethod");
    private readonly RepeatedProperty<string?> _path = new("RequestPath");
    private readonly RepeatedProperty<int> _status = new("StatusCode");
    private readonly RepeatedProperty<string> _route = new("Route");
    private readonly RepeatedProperty<string> _reason = new("Reason");
    private readonly RepeatedProperty<string> _upstream = new("Upstream");
    private readonly RepeatedProperty<string> _model = new("Model");
    private readonly RepeatedProperty<int> _attempts = new("Attempts");
    private readonly RepeatedProperty<string> _clientKey = new("ClientKeyId");
    private readonly RepeatedProperty<double?> _localProbability = new("LocalProbability");
    private readonly RepeatedProperty<double?> _confidenceMean = new("ConfidenceMean");
    private readonly RepeatedProperty<double?> _confidenceMin = new("ConfidenceMin");

    /// <param name="failure">An exception the request ended with; the event is then an error.</param>
    public void Write(HttpContext context, RequestTrace trace, TimeSpan elapsed, Exception? failure)
    {
        var status = failure is null ? context.Response.StatusCode : StatusCodes.Status500InternalServerError;
        var level = status >= 500 ? LogEventLevel.Error : LogEventLevel.Information;
        if (!_logger.IsEnabled(level))
        {
            return;
        }

        var properties = new Dictionary<string, LogEventPropertyValue>(PropertyCapacity, StringComparer.Ordinal)
        {
            [_method.Name] = _method.Of(context.Request.Method),
            [_path.Name] = _path.Of(context.Request.Path.Value),
            [_status.Name] = _status.Of(status),
            ["Elapsed"] = new ScalarValue(elapsed.TotalMilliseconds),
            [_route.Name] = _route.Of(trace.Route ?? "none"),
            [_reason.Name] = _reason.Of(trace.Reason ?? "none"),
            [_upstream.Name] = _upstream.Of(trace.Upstream ?? "none"),
            [_model.Name] = _model.Of(trace.Model ?? "none"),
            [_attempts.Name] = _attempts.Of(trace.UpstreamTries),
            [_clientKey.Name] = _clientKey.Of(trace.ClientKeyId ?? "anonymous"),
            ["RequestId"] = new ScalarValue(context.TraceIdentifier),
            [_localProbability.Name] = _localProbability.Of(trace.Plan?.LocalProbability),
            [_confidenceMean.Name] = _confidenceMean.Of(trace.Final.ConfidenceMean),
            [_confidenceMin.Name] = _confidenceMin.Of(trace.Final.ConfidenceMin),
        };

        // Serilog's public constructor copies the properties into a dictionary of its own that grows
        // as they are added (three arrays each time); this one is sized once and taken as it is.
        // The method's parameters may change in Serilog's next major version (pinned in Directory.Packages.props).
        _logger.Write(LogEvent.UnstableAssembleFromParts(DateTimeOffset.Now, level, failure, Template, properties, default, default));
    }
}
