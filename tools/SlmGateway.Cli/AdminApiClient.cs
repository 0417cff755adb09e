using System.Text;
using System.Text.Json;

namespace SlmGateway.Cli;

/// <summary>Sends one admin API request; a 4xx or 5xx becomes an <see cref="AdminApiException"/> with the API's message.</summary>
internal sealed class AdminApiClient(HttpClient client)
{
    public async Task<string> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (response.IsSuccessStatusCode)
        {
            return body;
        }

        throw new AdminApiException($"{(int)response.StatusCode} {response.ReasonPhrase}: {ErrorMessage(body)}");
    }

    private static string ErrorMessage(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.GetProperty("error").GetProperty("message").GetString() ?? body;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return body;
        }
    }
}

internal sealed class AdminApiException(string message) : Exception(message);
