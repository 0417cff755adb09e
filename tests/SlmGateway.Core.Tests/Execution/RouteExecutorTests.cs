using Microsoft.AspNetCore.Http;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Core.Tests.Execution;

/// <summary>The executor with scripted backends: which candidates it tries, with which reasons, and which outcome answers.</summary>
public sealed class RouteExecutorTests
{
    private static readonly ModelRoute Route = new("gpt-remote", [new UpstreamTarget("fake", "gpt-remote")], "tiny");
    private static readonly RouteCandidate Local = new(BackendKeys.Local, "tiny", RoutingReasons.SemanticLocal)
    {
        MoveOn = FailureKinds.Overloaded | FailureKinds.Rejected | FailureKinds.FirstTokenLate | FailureKinds.Unsupported,
    };

    private static readonly RouteCandidate Remote = new(BackendKeys.Remote, "gpt-remote", null) { MoveOn = FailureKinds.UpstreamFailed };
    private static readonly RouteCandidate LastResort = new(BackendKeys.Local, "tiny", null) { OnlyAfter = FailureKinds.Rejected, Degraded = true };
    private static readonly RoutePlan LocalFirst = new(Route, [Local, Remote, LastResort]);

    public static TheoryData<string, FailureKinds[], string, string> Walks => new()
    {
        // local outcomes then remote outcomes (None = served) → "backend:reason" of each try, and which error answers
        { "local serves", [FailureKinds.None], "local:semantic_local", "-" },
        { "spill", [FailureKinds.Overloaded, FailureKinds.None], "local:semantic_local remote:spilled", "-" },
        { "unsupported", [FailureKinds.Unsupported, FailureKinds.None], "local:semantic_local remote:unsupported_locally", "-" },
        { "late", [FailureKinds.FirstTokenLate, FailureKinds.None], "local:semantic_local remote:first_token_deadline", "-" },
        { "escalation", [FailureKinds.Rejected, FailureKinds.None], "local:semantic_local remote:escalated_confidence", "-" },
        { "escalation, remote down", [FailureKinds.Rejected, FailureKinds.UpstreamFailed, FailureKinds.None], "local:semantic_local remote:escalated_confidence local:degraded_fallback", "-" },
        { "escalation, all down", [FailureKinds.Rejected, FailureKinds.UpstreamFailed, FailureKinds.Overloaded], "local:semantic_local remote:escalated_confidence local:degraded_fallback", "remote" },
        { "spill, remote down: no last resort", [FailureKinds.Overloaded, FailureKinds.UpstreamFailed], "local:semantic_local remote:spilled", "remote" },
        { "remote refuses", [FailureKinds.Rejected, FailureKinds.Refused], "local:semantic_local remote:escalated_confidence", "remote" },
        { "local refuses", [FailureKinds.Refused], "local:semantic_local", "local" },
    };

    [Theory]
    [MemberData(nameof(Walks))]
    public async Task TheExecutor_WalksThePlan(string scenario, FailureKinds[] outcomes, string tries, string answeredBy)
    {
        var script = new Queue<FailureKinds>(outcomes);
        var backend = new ScriptedBackend(script);
        var trace = new RequestTrace { Plan = LocalFirst };

        var outcome = await new RouteExecutor(backend, backend).ExecuteAsync(new DefaultHttpContext(), Request, LocalFirst, trace);

        Assert.True(tries == string.Join(" ", trace.Attempts.Select(a => $"{a.Backend}:{a.Reason}")), $"{scenario}: {string.Join(" ", trace.Attempts.Select(a => $"{a.Backend}:{a.Reason}"))}");
        Assert.Empty(script);
        Assert.Equal(answeredBy == "-", outcome.Committed);
        if (answeredBy != "-")
        {
            Assert.Equal(answeredBy, outcome.Error!.Error.Message);
        }
    }

    [Fact]
    public async Task ARemoteFirstToken_Late_HandsOverToTheLocalModel()
    {
        var plan = new RoutePlan(Route, [Remote with { Reason = RoutingReasons.HeaderOverride, MoveOn = FailureKinds.UpstreamFailed | FailureKinds.FirstTokenLate }, LastResort with { OnlyAfter = FailureKinds.None }]);
        var backend = new ScriptedBackend(new Queue<FailureKinds>([FailureKinds.FirstTokenLate, FailureKinds.None]));
        var trace = new RequestTrace { Plan = plan };

        var outcome = await new RouteExecutor(backend, backend).ExecuteAsync(new DefaultHttpContext(), Request, plan, trace);

        Assert.True(outcome.Committed);
        Assert.Equal(["remote:header_override", "local:first_token_deadline"], trace.Attempts.Select(a => $"{a.Backend}:{a.Reason}"));
        Assert.Equal(("local", "first_token_deadline", "tiny"), (trace.Route, trace.Reason, trace.Model));
    }

    private static GatewayRequest Request => new(ApiEndpoint.ChatCompletions, "auto", ReadOnlyMemory<byte>.Empty, null, false, null);

    /// <summary>Answers each call with the next scripted outcome; a failure's error message names the backend that failed.</summary>
    private sealed class ScriptedBackend(Queue<FailureKinds> script) : IRequestBackend
    {
        public ValueTask<BackendOutcome> ServeAsync(GatewayRequest request, ModelRoute route, RouteCandidate candidate, HttpContext context)
        {
            var failure = script.Dequeue();
            return ValueTask.FromResult(failure == FailureKinds.None
                ? BackendOutcome.Served(AttemptReport.Empty)
                : BackendOutcome.Failed(failure, GatewayError.InvalidRequest(candidate.Backend), new AttemptReport { Escalation = failure == FailureKinds.Rejected ? "confidence" : null }));
        }
    }
}
