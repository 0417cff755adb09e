using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace SlmGateway.Routing.Training;

/// <summary>
/// The gateway's own evidence for the router: captured calls (redacted) that a local candidate
/// answered in shadow, labelled local when its answer agreed with the remote one and remote when it
/// did not. JSON Lines of <c>{"capture_id", "agreed", "request"}</c>, as <c>GET /admin/router/evidence</c> serves them.
/// </summary>
internal static class ShadowEvidence
{
    public static IEnumerable<LabelledRequest> Read(IEnumerable<string> lines)
    {
        foreach (var line in lines.Where(line => line.Length > 0))
        {
            var item = JsonNode.Parse(line)!.AsObject();
            var id = ((long)item["capture_id"]!).ToString(CultureInfo.InvariantCulture);
            yield return new LabelledRequest("shadow", $"shadow/{id}", DevelopmentCorpus.Parse(item["request"]!.AsObject()), (bool)item["agreed"]!);
        }
    }

    public static async Task<List<LabelledRequest>> FetchAsync(Uri gateway, string adminKey)
    {
        using var client = new HttpClient { BaseAddress = gateway };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await client.GetAsync(new Uri("/admin/router/evidence", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET /admin/router/evidence answered {(int)response.StatusCode}: {body}");
        }

        return Read(body.Split('\n')).ToList();
    }
}
