using System.Text.Json;
using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Ports;
using SlmGateway.Core.Routing;

namespace SlmGateway.Core.Tests.Routing;

/// <summary>
/// The planner, table by table: header × key policy × task policy × structure × cluster decision ×
/// classifier, and what follows from the first choice. A local model "tiny", a remote model
/// "gpt-remote", and "both", a local model that an upstream also serves.
/// </summary>
public sealed class RoutePlannerTests
{
    private const FailureKinds LeaveLocal = FailureKinds.Overloaded | FailureKinds.Rejected | FailureKinds.FirstTokenLate;
    private static readonly ChatCompletionRequest Chat = JsonSerializer.Deserialize(
        """{"model":"auto","messages":[{"role":"user","content":"hi"}]}""", Contracts.Serialization.WireJsonContext.Default.ChatCompletionRequest)!;

    public static TheoryData<string, string?, string?, string?, string> FirstChoices => new()
    {
        // model, route header, key policy, task policy → "backend:reason" of the first candidate
        { "gpt-remote", null, null, null, "remote:explicit_model" },
        { "tiny", null, null, null, "local:explicit_model" },
        { "both", null, null, null, "local:explicit_model" },
        { "auto", "local", null, null, "local:header_override" },
        { "auto", "remote", "local", null, "remote:header_override" },
        { "auto", null, "remote", "local", "remote:key_policy" },
        { "auto", null, null, "remote", "remote:task_policy" },
        { "auto", null, null, null, "local:semantic_local" },
    };

    [Theory]
    [MemberData(nameof(FirstChoices))]
    public void FirstChoice_FollowsTheCheapestSignal(string model, string? header, string? keyRoute, string? taskRoute, string expected)
    {
        var routing = Routing();
        if (keyRoute is not null)
        {
            routing.Keys["team"] = new KeyRoutingPolicy { Route = keyRoute };
        }

        if (taskRoute is not null)
        {
            routing.Tasks[TaskLabels.Chat] = new TaskRoutingPolicy { Route = taskRoute };
        }

        var (plan, error) = Planner(routing).Plan(Request(model, header, "team"));

        Assert.Null(error);
        Assert.Equal(expected, $"{plan!.Candidates[0].Backend}:{plan.Candidates[0].Reason}");
    }

    [Fact]
    public void ALocalChoiceWithARemoteBehindIt_SpillsEscalatesAndFallsBack()
    {
        var (plan, _) = Planner(Routing(deadline: TimeSpan.FromSeconds(2))).Plan(Request("auto"));

        var (local, remote, lastResort) = (plan!.Candidates[0], plan.Candidates[1], plan.Candidates[2]);
        Assert.Equal(LeaveLocal | FailureKinds.Unsupported, local.MoveOn);
        Assert.True(local.MaySpill);
        Assert.Equal(new AnswerBar(-3, -15), local.Validate);
        Assert.Equal(TimeSpan.FromSeconds(2), local.FirstTokenDeadline);
        Assert.Equal((BackendKeys.Remote, "gpt-remote", (string?)null, FailureKinds.UpstreamFailed), (remote.Backend, remote.Model, remote.Reason, remote.MoveOn));
        Assert.Equal((BackendKeys.Local, FailureKinds.Rejected, true), (lastResort.Backend, lastResort.OnlyAfter, lastResort.Degraded));
        Assert.Null(lastResort.Validate);
        Assert.Equal("gpt-remote-v1", plan.RemoteCounterpart);
    }

    [Fact]
    public void AForcedLocalChoice_KeepsItsOwn400_ForWhatTheLocalModelCannotTake()
    {
        var (plan, _) = Planner(Routing()).Plan(Request("auto", header: "local"));

        Assert.Equal(LeaveLocal, plan!.Candidates[0].MoveOn);
    }

    [Fact]
    public void ALocalModelAlone_IsServedAsItIs()
    {
        var (plan, _) = Planner(Routing(deadline: TimeSpan.FromSeconds(2))).Plan(Request("tiny"));

        var only = Assert.Single(plan!.Candidates);
        Assert.Equal((FailureKinds.None, (AnswerBar?)null, false, (TimeSpan?)null), (only.MoveOn, only.Validate, only.MaySpill, only.FirstTokenDeadline));
    }

    [Fact]
    public void ARemoteChoice_HasTheLocalModelAsItsLastResort_WithTheFirstTokenDeadline()
    {
        var (plan, _) = Planner(Routing(deadline: TimeSpan.FromSeconds(2))).Plan(Request("auto", header: "remote"));

        Assert.Equal(2, plan!.Candidates.Count);
        Assert.Equal((FailureKinds.UpstreamFailed | FailureKinds.FirstTokenLate, TimeSpan.FromSeconds(2)), (plan.Candidates[0].MoveOn, plan.Candidates[0].FirstTokenDeadline));
        Assert.Equal((BackendKeys.Local, (string?)null, true), (plan.Candidates[1].Backend, plan.Candidates[1].Reason, plan.Candidates[1].Degraded));
    }

    [Fact]
    public void ARemoteModelAlone_AndOtherEndpoints_GoRemoteWithNothingBehind()
    {
        var planner = Planner(Routing());

        Assert.Single(planner.Plan(Request("gpt-remote")).Plan!.Candidates);
        var embeddings = planner.Plan(new RouteRequest("both", null, null, null, null)).Plan!;
        Assert.Equal(BackendKeys.Remote, Assert.Single(embeddings.Candidates).Backend);
    }

    [Fact]
    public void Structure_ThenTheCluster_ThenTheVote()
    {
        var structural = new RoutingDecision(BackendKeys.Remote, RoutingReasons.TooLong);
        Assert.Equal(RoutingReasons.TooLong, Planner(Routing(), new FakeClassifier(structural)).Plan(Request("auto")).Plan!.Candidates[0].Reason);

        var promoted = new ClusterRoutingDecision(new RoutingDecision(BackendKeys.Local, RoutingReasons.ClusterPromoted) { Adapter = "weather" }, 7, "tiny-2");
        var (plan, _) = Planner(Routing(), new FakeClassifier(null), promoted).Plan(Request("auto"));
        Assert.Equal(("tiny-2", RoutingReasons.ClusterPromoted, "weather"), (plan!.Candidates[0].Model, plan.Candidates[0].Reason, plan.Candidates[0].Adapter));

        var vote = Planner(Routing(), new FakeClassifier(null)).Plan(Request("auto")).Plan!;
        Assert.Equal((RoutingReasons.SemanticLocal, 0.8), (vote.Candidates[0].Reason, vote.LocalProbability));
    }

    [Theory]
    [InlineData("no-such-model", null, true, 404, "model")]
    [InlineData("auto", "sideways", true, 400, "x-slmgw-route")]
    [InlineData("gpt-remote", "local", true, 400, "x-slmgw-route")]
    [InlineData("auto", "local", false, 403, "x-slmgw-route")]
    public void Refusals_NameTheParameter(string model, string? header, bool headerAllowed, int status, string param)
    {
        var routing = Routing();
        routing.AllowHeaderOverride = headerAllowed;

        var (plan, error) = Planner(routing).Plan(Request(model, header));

        Assert.Null(plan);
        Assert.Equal((status, param), (error!.StatusCode, error.Error.Param));
    }

    [Fact]
    public void AutoWithoutARemoteModel_IsLocal_NoRemote()
    {
        var routing = Routing();
        routing.RemoteModel = null;

        var plan = Planner(routing).Plan(Request("auto")).Plan!;

        Assert.Equal((BackendKeys.Local, RoutingReasons.NoRemote), (Assert.Single(plan.Candidates).Backend, plan.Candidates[0].Reason));
    }

    private static readonly ChatCompletionRequest ToolStep = JsonSerializer.Deserialize(
        """{"model":"auto","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"ok"}]}""",
        Contracts.Serialization.WireJsonContext.Default.ChatCompletionRequest)!;

    public static TheoryData<bool, string?, bool, string?, string> SessionChoices => new()
    {
        // answers a tool result, session tier, structural rule says local, session model → "backend:reason:model" of the first candidate
        { true, null, false, null, "local:semantic_local:tiny" },
        { true, "local", false, "tiny-2", "local:session_continues:tiny-2" },
        { true, "local", false, null, "local:session_continues:tiny" },
        { false, "local", false, "tiny-2", "local:semantic_local:tiny" },
        { true, "remote", false, null, "remote:session_remote:gpt-remote" },
        { false, "remote", false, null, "remote:session_remote:gpt-remote" },
        { false, "remote", true, null, "remote:session_remote:gpt-remote" },
        { true, "local", true, null, "local:forced_structure:tiny" },
    };

    [Theory]
    [MemberData(nameof(SessionChoices))]
    public void ASessionsTier_KeepsAToolLoopOnItsModel_AndARemoteSessionRemote(bool afterToolResult, string? tier, bool forcedLocal, string? sessionModel, string expected)
    {
        var chat = afterToolResult ? ToolStep : Chat;
        var classifier = new FakeClassifier(forcedLocal ? new RoutingDecision(BackendKeys.Local, RoutingReasons.ForcedStructure, 1) : null);
        var request = new RouteRequest("auto", chat, RequestShape.Of(chat), null, null) { Session = tier is null ? null : new SessionTier(tier, sessionModel) };

        var (plan, _) = Planner(Routing(), classifier).Plan(request);

        Assert.Equal(expected, $"{plan!.Candidates[0].Backend}:{plan.Candidates[0].Reason}:{plan.Candidates[0].Model}");
    }

    [Fact]
    public void AStructuralRuleThatSendsRemote_StillWins_InALocalSession()
    {
        var classifier = new FakeClassifier(new RoutingDecision(BackendKeys.Remote, RoutingReasons.TooLong));
        var request = new RouteRequest("auto", ToolStep, RequestShape.Of(ToolStep), null, null) { Session = new SessionTier(BackendKeys.Local, "tiny") };

        var (plan, _) = Planner(Routing(), classifier).Plan(request);

        Assert.Equal("remote:too_long", $"{plan!.Candidates[0].Backend}:{plan.Candidates[0].Reason}");
    }

    private static RouteRequest Request(string model, string? header = null, string? key = null) =>
        new(model, Chat, RequestShape.Of(Chat), key, header);

    private static RoutingOptions Routing(TimeSpan? deadline = null) =>
        new() { LocalModel = "tiny", RemoteModel = "gpt-remote", FirstTokenDeadline = deadline };

    private static RoutePlanner Planner(RoutingOptions routing, IRequestClassifier? classifier = null, ClusterRoutingDecision? cluster = null)
    {
        var remote = new RemoteOptions
        {
            Upstreams =
            [
                new UpstreamOptions { Name = "fake", BaseUrl = "http://127.0.0.1:9/v1", Models = { ["gpt-remote"] = "gpt-remote-v1", ["both"] = "gpt-remote-v1" } },
            ],
        };
        var local = new LocalOptions { Models = [new LocalModelOptions { Name = "tiny" }, new LocalModelOptions { Name = "tiny-2" }, new LocalModelOptions { Name = "both" }] };
        var catalog = new ModelCatalog(new TestOptionsMonitor<RemoteOptions>(remote), new TestOptionsMonitor<GatewayOptions>(new GatewayOptions()), Options.Create(local));
        return new RoutePlanner(
            new TestOptionsMonitor<RoutingOptions>(routing),
            new TestOptionsMonitor<LocalOptions>(local),
            catalog,
            classifier ?? new FakeClassifier(null),
            new NoLocalStatus(),
            cluster is null ? [] : [new FixedClusterRouting(cluster)]);
    }

    private sealed class FakeClassifier(RoutingDecision? structural) : IRequestClassifier
    {
        public RoutingDecision? ClassifyByStructure(ChatCompletionRequest request, LocalLimits local) => structural;

        public RoutingDecision ClassifyBySemantics(ChatCompletionRequest request, double threshold) =>
            new(BackendKeys.Local, RoutingReasons.SemanticLocal, 0.8);
    }

    private sealed class NoLocalStatus : ILocalModelStatus
    {
        public IReadOnlyDictionary<string, LocalModelState> States { get; } = new Dictionary<string, LocalModelState>();
    }

    private sealed class FixedClusterRouting(ClusterRoutingDecision decision) : IClusterRouting
    {
        public ClusterRoutingDecision? Decide(ChatCompletionRequest request) => decision;
    }
}
