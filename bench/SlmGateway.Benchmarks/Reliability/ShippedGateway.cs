using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SlmGateway.Benchmarks.Measurement;
using SlmGateway.Tests.Common;

namespace SlmGateway.Benchmarks.Reliability;

/// <summary>
/// The gateway as it ships (its own process, default settings: the tiny-random local model, capture
/// on into SQLite) with OpenAI replaced by an in-process fake provider, and an admin key to read
/// the loop's counters.
/// </summary>
internal sealed class ShippedGateway : IAsyncDisposable
{
    public const string RemoteModel = "gpt-4o-mini";
    private const string AdminKey = "bench-admin-key";
    private static readonly Uri Url = new("http://127.0.0.1:5207/");

    private ShippedGateway(ChildProcess process, FakeUpstream upstream, HttpClient client)
    {
        Process = process;
        Upstream = upstream;
        Client = client;
    }

    public ChildProcess Process { get; }

    public FakeUpstream Upstream { get; }

    public HttpClient Client { get; }

    public static async Task<ShippedGateway> StartAsync()
    {
        var upstream = await FakeUpstream.StartAsync(record: false);
        var store = Path.Combine(Path.GetTempPath(), $"slmgw-soak-{Guid.NewGuid():N}.db");
        var process = await ChildProcess.StartAsync("gateway", new Uri(Url, "readyz"), "0,1", "dotnet",
            Path.Combine(AppContext.BaseDirectory, "SlmGateway.dll"),
            $"--contentRoot={AppContext.BaseDirectory}",
            $"--Urls={Url.ToString().TrimEnd('/')}",
            $"--SlmGateway:Remote:Upstreams:0:BaseUrl={upstream.BaseUrl}",
            $"--SlmGateway:Loop:Capture:ConnectionString=Data Source={store}",
            "--SlmGateway:Auth:AdminKeys:0:Id=bench",
            $"--SlmGateway:Auth:AdminKeys:0:Sha256={Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AdminKey)))}",
            "--Serilog:MinimumLevel:Default=Warning");
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, UseProxy = false }) { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(120) };
        return new ShippedGateway(process, upstream, client);
    }

    /// <summary>The capture counters of <c>/admin/loop</c>.</summary>
    public async Task<JsonElement> CaptureAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/loop");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await Client.SendAsync(request);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("capture").Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Process.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
