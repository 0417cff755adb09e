using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Data.Sqlite;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Deployment;

/// <summary>
/// SIGTERM to the real gateway process while a stream is in flight: readiness turns 503 at once
/// while requests are still served, the stream finishes whole, the captured calls are written, and
/// the process exits 0.
/// </summary>
public sealed class GracefulShutdownTests : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        // A stream of ten words, 300 ms apart, lasts about three seconds; plain answers are immediate.
        _upstream.Handler = (context, request, number) => request.Body.AsSpan().IndexOf("\"stream\":true"u8) >= 0
            ? OpenAiResponses.WriteSseAsync(context.Response, OpenAiResponses.TextChunks("gpt-4o-mini", "one two three four five six seven eight nine ten", includeUsage: false), delay: TimeSpan.FromMilliseconds(300))
            : OpenAiResponses.DefaultAsync(context, request, number);
    }

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task OnSigterm_ReadinessFailsFirst_TheStreamFinishes_CapturesAreWritten_AndTheExitIsClean()
    {
        var database = Path.Combine(Path.GetTempPath(), $"slmgw-shutdown-{Guid.NewGuid():N}.db");
        await using var gateway = await GatewayProcess.StartAsync(
            "--SlmGateway:Remote:Upstreams:0:Name=fake",
            $"--SlmGateway:Remote:Upstreams:0:BaseUrl={_upstream.BaseUrl}",
            "--SlmGateway:Remote:Upstreams:0:Models:gpt-4o-mini=gpt-4o-mini",
            "--SlmGateway:Loop:Capture:Enabled=true",
            $"--SlmGateway:Loop:Capture:ConnectionString=Data Source={database}",
            "--SlmGateway:Shutdown:DrainDelay=00:00:02");
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };
        using (var ready = await client.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Count to ten."}]}""", Encoding.UTF8, "application/json"),
        };
        using var stream = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await reader.ReadLineAsync(), StringComparison.Ordinal);

        var clock = Stopwatch.StartNew();
        gateway.Terminate();

        // Readiness fails while requests are still taken: a new request in the drain is served.
        var readiness = await WaitForReadinessAsync(client, HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readiness);
        using (var during = await client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, during.StatusCode);
        }

        var rest = await reader.ReadToEndAsync();
        Assert.Contains("ten", rest, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]", rest.TrimEnd(), StringComparison.Ordinal);

        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await gateway.Process.WaitForExitAsync(exit.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        Assert.True(gateway.Process.HasExited, $"still running 30 s after SIGTERM: {gateway.Output}");
        Assert.True(gateway.Process.ExitCode == 0, $"exit code {gateway.Process.ExitCode}: {gateway.Output}");
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), "the drain delay comes before the server stops");
        var captured = await CountAsync(database);
        Assert.True(captured == 2, $"{captured} captured: {gateway.Output}");
    }

    private static async Task<HttpStatusCode> WaitForReadinessAsync(HttpClient client, HttpStatusCode wanted)
    {
        var status = HttpStatusCode.OK;
        for (var attempt = 0; attempt < 50 && status != wanted; attempt++)
        {
            using var response = await client.GetAsync("/readyz");
            status = response.StatusCode;
            await Task.Delay(status == wanted ? 0 : 20);
        }

        return status;
    }

    private static async Task<long> CountAsync(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM slmgw_captures";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
