using System.ClientModel;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Conversion;

/// <summary>
/// The trace store's privacy end to end, on SQLite and PostgreSQL: secrets and personal data sent as
/// messages, tool-call arguments and tool results, and echoed in the provider's answers, appear in no
/// column of any table, in no cluster label and in no export; exports leave out keys and upstreams
/// that do not allow training; deleting a cluster's calls removes the shadow results derived from them.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TraceStorePrivacyTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly string[] Secrets =
    [
        "030/12345678", "090-1234-5678", "+44 20 7946 0958", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AKIAIOSFODNN7EXAMPLE",
        "s3cr3t-Pa55", "jane.doe@example.org", "4111 1111 1111 1111", "ghp_1234567890abcdefghijABCDEFGHIJ123456", "Zx8kQ2mP9vR4tL7nB3wY6cF1",
    ];

    private static readonly string Leaky =
        "Call our Berlin office on 030/12345678 or my mobile 090-1234-5678 (UK: +44 20 7946 0958). "
        + "Keys: AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, db postgres://app:s3cr3t-Pa55@db:5432/x, "
        + "mail jane.doe@example.org, card 4111 1111 1111 1111, token ghp_1234567890abcdefghijABCDEFGHIJ123456, "
        + "and the api key is Zx8kQ2mP9vR4tL7nB3wY6cF1. Order 1732838400000, version 2.3.1.";

    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        _upstream.Handler = (context, request, _) =>
        {
            using var json = request.Json();
            var asked = json.RootElement.GetProperty("messages").EnumerateArray().Last(m => m.GetProperty("role").GetString() == "user").GetProperty("content").GetString()!;
            return OpenAiResponses.WriteJsonAsync(context.Response, 200, OpenAiResponses.ChatCompletion("gpt-4o-mini", "Noted: " + asked));
        };
    }

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task NoColumnOfAnyTable_HoldsASecret_NorDoLabelsAndExports(string kind)
    {
        var store = await LoopStore.CreateAsync(kind, postgres);
        await using var gateway = new GatewayFactory(Settings(store));
        var client = new ChatClient("gpt-4o-mini", new ApiKeyCredential("alice-key"), new OpenAIClientOptions { Endpoint = gateway.BaseUrl });
        var tool = ChatTool.CreateFunctionTool("save_note", "Saves a note", BinaryData.FromString("""{"type":"object","properties":{"note":{"type":"string"}}}"""));

        for (var i = 0; i < 3; i++)
        {
            await client.CompleteChatAsync(
                [
                    new SystemChatMessage("You take notes for the support team."),
                    new UserChatMessage($"Note {i}: {Leaky}"),
                    new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall($"call_{i}", "save_note", BinaryData.FromString(JsonSerializer.Serialize(new { note = Leaky })))]),
                    new ToolChatMessage($"call_{i}", $"saved: {Leaky}"),
                    new UserChatMessage($"Repeat note {i}: {Leaky}"),
                ],
                new ChatCompletionOptions { Tools = { tool } });
        }

        using var admin = new AdminClient(gateway);
        await admin.SettledCaptureAsync(3);
        await WaitForShadowAsync(admin);
        var everything = new StringBuilder();
        foreach (var table in (string[])["slmgw_captures", "slmgw_clusters", "slmgw_cluster_events", "slmgw_shadow_results"])
        {
            foreach (var row in await store.QueryAsync($"SELECT * FROM {table}"))
            {
                foreach (var value in row.Values.OfType<string>())
                {
                    everything.AppendLine(value);
                }
            }
        }

        var clusters = await admin.GetAsync("/admin/clusters");
        everything.AppendLine(clusters.ToString());
        var clusterId = clusters.GetProperty("data")[0].GetProperty("id").GetInt64();
        using (var export = await admin.SendAsync(HttpMethod.Get, $"/admin/clusters/{clusterId}/export?split=training&validation_share=0"))
        {
            var lines = await export.Content.ReadAsStringAsync();
            Assert.Equal(3, lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            everything.AppendLine(lines);
        }

        var stored = everything.ToString();
        Assert.Contains("[PHONE]", stored, StringComparison.Ordinal);
        Assert.Contains("1732838400000", stored, StringComparison.Ordinal);
        foreach (var secret in Secrets)
        {
            Assert.True(!stored.Contains(secret, StringComparison.Ordinal) && !stored.Contains(JsonSerializer.Serialize(secret).Trim('"'), StringComparison.Ordinal), $"{secret} was stored");
        }
    }

    [Fact]
    public async Task Exports_LeaveOutKeysAndUpstreamsThatDoNotAllowTraining_AndDeletingAClusterRemovesItsShadowResults()
    {
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        await using var gateway = new GatewayFactory(Settings(store)
            .ClientKey("bob", Sha("bob-key"))
            .Set("SlmGateway:Auth:Keys:1:AllowTraining", "false"));
        foreach (var (key, text) in new[] { ("alice-key", "Summarise ticket 1 about a late parcel."), ("bob-key", "Summarise ticket 2 about a late parcel."), ("alice-key", "Summarise ticket 3 about a late parcel.") })
        {
            var client = new ChatClient("gpt-4o-mini", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = gateway.BaseUrl });
            await client.CompleteChatAsync(new UserChatMessage(text));
        }

        using var admin = new AdminClient(gateway);
        await admin.SettledCaptureAsync(3);
        await WaitForShadowAsync(admin);
        var clusterId = (await admin.GetAsync("/admin/clusters")).GetProperty("data")[0].GetProperty("id").GetInt64();
        using (var export = await admin.SendAsync(HttpMethod.Get, $"/admin/clusters/{clusterId}/export?split=training&validation_share=0"))
        {
            var lines = await export.Content.ReadAsStringAsync();
            Assert.Equal(2, lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.DoesNotContain("ticket 2", lines, StringComparison.Ordinal);
        }

        Assert.True(await store.CountAsync() == 3 && (await store.QueryAsync("SELECT id FROM slmgw_shadow_results")).Count > 0);
        using var deleted = await admin.SendAsync(HttpMethod.Delete, $"/admin/captures?cluster={clusterId}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(0, await store.CountAsync());
        Assert.Empty(await store.QueryAsync("SELECT id FROM slmgw_shadow_results"));
    }

    [Fact]
    public void TheShippedProviders_DoNotAllowTraining_UnlessSaidSo()
    {
        var openAi = new SlmGateway.Core.Configuration.UpstreamOptions { BaseUrl = "https://api.openai.com/v1" };
        var own = new SlmGateway.Core.Configuration.UpstreamOptions { BaseUrl = "http://vllm.internal:8000/v1" };
        var allowed = new SlmGateway.Core.Configuration.UpstreamOptions { BaseUrl = "https://api.anthropic.com/v1", AllowTraining = true };

        Assert.Equal((false, true, true), (openAi.TrainingAllowed, own.TrainingAllowed, allowed.TrainingAllowed));
    }

    private GatewaySettings Settings(LoopStore store) =>
        new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom, ("Tasks:0", "chat"), ("Tasks:1", "tool_call"))
            .Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini")
            .Capture(store)
            .ClientKey("alice", Sha("alice-key"))
            .Set("SlmGateway:Loop:Shadow:SampleRate", "1")
            .Set("SlmGateway:Loop:Shadow:CpuBudget", "1");

    private static async Task WaitForShadowAsync(AdminClient admin)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var shadow = (await admin.GetAsync("/admin/loop")).GetProperty("shadow");
            if (shadow.GetProperty("queued").GetInt64() > 0 && shadow.GetProperty("evaluated").GetInt64() + shadow.GetProperty("skipped").GetInt64() >= shadow.GetProperty("queued").GetInt64())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the shadow runs did not end within 30 s");
    }

    private static string Sha(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
