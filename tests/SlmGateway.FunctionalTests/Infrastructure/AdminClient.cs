using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SlmGateway.FunctionalTests.Infrastructure;

/// <summary>The admin API of a test gateway, with the test admin key.</summary>
public sealed class AdminClient : IDisposable
{
    private readonly HttpClient _client;

    public AdminClient(GatewayFactory gateway, string key = LoopStore.AdminKey)
    {
        _client = gateway.CreateHttpClient();
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null) =>
        _client.SendAsync(new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") });

    public async Task<JsonElement> GetAsync(string path) => await ReadAsync(await SendAsync(HttpMethod.Get, path));

    public async Task<JsonElement> PostAsync(string path, string? json = null) => await ReadAsync(await SendAsync(HttpMethod.Post, path, json));

    /// <summary>
    /// Capture counters once <paramref name="calls"/> calls were handed over (accepted, dropped or sampled out) and
    /// every accepted one is written or failed and clustered (the writer has caught up).
    /// </summary>
    public async Task<JsonElement> SettledCaptureAsync(long calls)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var capture = (await GetAsync("/admin/loop")).GetProperty("capture");
            var accepted = capture.GetProperty("accepted").GetInt64();
            if (accepted + capture.GetProperty("dropped").GetInt64() + capture.GetProperty("sampled_out").GetInt64() >= calls
                && accepted == capture.GetProperty("written").GetInt64() + capture.GetProperty("failed").GetInt64()
                && capture.GetProperty("clustering").GetInt32() == 0)
            {
                return capture;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The capture writer did not catch up within 60 s.");
    }

    public void Dispose() => _client.Dispose();

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }
}
