using System.Net.Http.Headers;
using System.Text;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Reliability;

/// <summary>
/// The request surface fuzzed with a fixed seed and budget (<see cref="RequestFuzzer"/>; a longer run
/// is the benchmark project's <c>fuzz</c> command): no case may get a 5xx or stop the gateway, and the
/// gateway's memory stays bounded.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class FuzzTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const int Cases = 2000;
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync(record: false);

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task FuzzedRequests_NeverGetA5xx_AndTheGatewayServesOn()
    {
        await using var gateway = new GatewayFactory(new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom, ("MaxOutputTokens", "32"), ("Tasks:0", "tool_call"), ("Tasks:1", "json"))
            .Upstream("fake", _upstream.BaseUrl, "gpt-test")
            .AutoRouting("tiny-random", "gpt-test"));
        using var client = gateway.CreateHttpClient();
        var fuzzer = new RequestFuzzer(seed: 20261130, "gpt-test", "tiny-random", "auto");
        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        var memoryBefore = 0L;

        for (var i = 0; i < Cases; i++)
        {
            var (path, body) = fuzzer.Next();
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(path, content);
            await response.Content.ReadAsByteArrayAsync();
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (status >= 500)
            {
                failures.Add($"case {i}: {status} for {path} {Encoding.UTF8.GetString(body)[..Math.Min(body.Length, 400)]}");
            }

            if (i == Cases / 4)
            {
                memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
            }
        }

        output.WriteLine($"{Cases} cases: " + string.Join(", ", statuses.OrderBy(pair => pair.Key).Select(pair => $"{pair.Key}: {pair.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
        Assert.True(statuses.Keys.Count(status => status < 300) > 0 && statuses.Keys.Count(status => status >= 400) > 0, string.Join(", ", statuses));
        var (answer, _, _) = await Local.LocalChat.CompleteAsync(client, Local.LocalChat.Request(""","max_tokens":3"""));
        Assert.False(string.IsNullOrEmpty(answer));
        var growth = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;
        Assert.True(growth < 64 * 1024 * 1024, $"managed memory grew by {growth / 1024 / 1024} MB over {Cases * 3 / 4} cases");
    }
}
