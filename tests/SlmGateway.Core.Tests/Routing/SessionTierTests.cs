using System.Text.Json;
using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Routing;

namespace SlmGateway.Core.Tests.Routing;

/// <summary>How a session is recognised without any client change, and how its tier is kept in memory.</summary>
public sealed class SessionTierTests
{
    private const string Tools = """[{"type":"function","function":{"name":"get_weather"}}]""";

    [Fact]
    public void EveryStepOfAnAgentLoop_HasTheSessionKeyOfItsFirstStep()
    {
        var first = Chat("""[{"role":"system","content":"You are a travel agent."},{"role":"user","content":"Weather in Oslo?"}]""", Tools);
        var later = Chat("""
            [{"role":"system","content":"You are a travel agent."},{"role":"user","content":"Weather in Oslo?"},
             {"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
             {"role":"tool","tool_call_id":"c","content":"-3"},{"role":"assistant","content":"Cold."},{"role":"user","content":"And Rome?"}]
            """, Tools);

        Assert.Equal(SessionTier.KeyOf(first, "auto", "k1", null), SessionTier.KeyOf(later, "auto", "k1", null));
    }

    [Fact]
    public void AnotherKey_AnotherFirstAsk_AnotherSystemPrompt_OrAnotherToolSet_IsAnotherSession()
    {
        var chat = Chat("""[{"role":"system","content":"S"},{"role":"user","content":"Weather in Oslo?"}]""", Tools);
        var key = SessionTier.KeyOf(chat, "auto", "k1", null);

        Assert.NotEqual(key, SessionTier.KeyOf(chat, "auto", "k2", null));
        Assert.NotEqual(key, SessionTier.KeyOf(chat, "auto-2", "k1", null));
        Assert.NotEqual(key, SessionTier.KeyOf(Chat("""[{"role":"system","content":"S"},{"role":"user","content":"Weather in Rome?"}]""", Tools), "auto", "k1", null));
        Assert.NotEqual(key, SessionTier.KeyOf(Chat("""[{"role":"system","content":"T"},{"role":"user","content":"Weather in Oslo?"}]""", Tools), "auto", "k1", null));
        Assert.NotEqual(key, SessionTier.KeyOf(Chat("""[{"role":"system","content":"S"},{"role":"user","content":"Weather in Oslo?"}]""", null), "auto", "k1", null));
    }

    [Fact]
    public void TheClientsSessionHeader_DecidesAlone()
    {
        var oslo = Chat("""[{"role":"user","content":"Weather in Oslo?"}]""", null);
        var rome = Chat("""[{"role":"user","content":"Weather in Rome?"}]""", null);

        Assert.Equal(SessionTier.KeyOf(oslo, "auto", null, "run-7"), SessionTier.KeyOf(rome, "auto", null, "run-7"));
        Assert.NotEqual(SessionTier.KeyOf(oslo, "auto", null, "run-7"), SessionTier.KeyOf(oslo, "auto", null, "run-8"));
        Assert.Null(SessionTier.KeyOf(Chat("""[{"role":"system","content":"S"}]""", null), "auto", null, null));
    }

    [Fact]
    public async Task TheTierOnlyMovesUp_UntilAConversationStartsAgain()
    {
        using var tiers = new MemorySessionTiers(Options.Create(new RoutingOptions()));

        await tiers.RecordAsync("s", new SessionTier("local", "tiny"), startsSession: false, default);
        await tiers.RecordAsync("s", new SessionTier("local", "tiny-2"), startsSession: false, default);
        Assert.Equal(new SessionTier("local", "tiny"), await tiers.FindAsync("s", default));
        await tiers.RecordAsync("s", new SessionTier("remote", "gpt"), startsSession: false, default);
        await tiers.RecordAsync("s", new SessionTier("local", "tiny"), startsSession: false, default);
        Assert.Equal(new SessionTier("remote", "gpt"), await tiers.FindAsync("s", default));
        await tiers.RecordAsync("s", new SessionTier("local", "tiny"), startsSession: true, default);
        Assert.Equal(new SessionTier("local", "tiny"), await tiers.FindAsync("s", default));
    }

    [Fact]
    public void OnlyALaterStep_OrANamedSession_IsRoutedByItsSession()
    {
        Assert.False(SessionTier.ContinuesSession(Chat("""[{"role":"system","content":"S"},{"role":"user","content":"a"}]""", Tools), null));
        Assert.True(SessionTier.ContinuesSession(Chat("""[{"role":"user","content":"a"}]""", Tools), "run-1"));
        Assert.True(SessionTier.ContinuesSession(Chat("""[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]""", null), null));
    }

    [Fact]
    public async Task MemoryIsBounded_ByMaxEntries()
    {
        using var tiers = new MemorySessionTiers(Options.Create(new RoutingOptions { Sessions = { MaxEntries = 100 } }));

        for (var i = 0; i < 5000; i++)
        {
            await tiers.RecordAsync($"s{i}", new SessionTier("local", "tiny"), startsSession: false, default);
        }

        Assert.InRange(tiers.Count, 1, 100);
        // When full, the cache compacts in the background: a new session finds room soon after.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (await tiers.FindAsync("fresh", default) is null && DateTime.UtcNow < deadline)
        {
            await tiers.RecordAsync("fresh", new SessionTier("local", "tiny"), startsSession: false, default);
            await Task.Delay(10);
        }

        Assert.NotNull(await tiers.FindAsync("fresh", default));
    }

    [Fact]
    public async Task AnIdleSession_IsForgotten()
    {
        using var tiers = new MemorySessionTiers(Options.Create(new RoutingOptions { Sessions = { IdleTimeout = TimeSpan.FromMilliseconds(50) } }));
        await tiers.RecordAsync("s", new SessionTier("remote", "gpt"), startsSession: false, default);

        await Task.Delay(200);

        Assert.Null(await tiers.FindAsync("s", default));
    }

    private static ChatCompletionRequest Chat(string messages, string? tools) => JsonSerializer.Deserialize(
        $$"""{"model":"auto","messages":{{messages}}{{(tools is null ? "" : ",\"tools\":" + tools)}}}""", WireJsonContext.Default.ChatCompletionRequest)!;
}
