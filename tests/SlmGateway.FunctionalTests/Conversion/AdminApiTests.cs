using System.Net;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Conversion;

/// <summary>The admin API's refusals: each an OpenAI-shaped 4xx that names what is wrong.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AdminApiTests(PostgresServer postgres)
{
    [Fact]
    public async Task WithoutAdminKeysConfigured_TheAdminApiIsOff()
    {
        await using var gateway = new GatewayFactory(new GatewaySettings());
        using var admin = new AdminClient(gateway);

        var error = await OpenAiErrorAssert.IsErrorAsync(await admin.SendAsync(HttpMethod.Get, "/admin/clusters"), HttpStatusCode.Forbidden);

        Assert.Contains("AdminKeys", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task MissingOrWrongAdminKey_Is401(string? key)
    {
        await using var gateway = await StartAsync();
        using var client = gateway.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/loop");
        if (key is not null)
        {
            request.Headers.Authorization = new("Bearer", key);
        }

        await OpenAiErrorAssert.IsErrorAsync(await client.SendAsync(request), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("POST", "/admin/clusters/1/promote", "", HttpStatusCode.BadRequest, "missing_required_parameter")]
    [InlineData("POST", "/admin/clusters/1/promote", """{"model":"gpt-4o"}""", HttpStatusCode.BadRequest, "invalid_value")]
    [InlineData("POST", "/admin/clusters/1/promote", """{"model":""", HttpStatusCode.BadRequest, "invalid_json")]
    [InlineData("POST", "/admin/clusters/1/promote", """["tiny-random"]""", HttpStatusCode.BadRequest, "invalid_json")]
    [InlineData("POST", "/admin/clusters/999/promote", """{"model":"tiny-random"}""", HttpStatusCode.NotFound, "not_found")]
    [InlineData("POST", "/admin/clusters/999/demote", "", HttpStatusCode.NotFound, "not_found")]
    [InlineData("GET", "/admin/clusters/999", "", HttpStatusCode.NotFound, "not_found")]
    [InlineData("GET", "/admin/clusters/abc", "", HttpStatusCode.NotFound, "unknown_url")]
    [InlineData("GET", "/admin/clusters/1/export?split=everything", "", HttpStatusCode.BadRequest, "invalid_value")]
    [InlineData("GET", "/admin/clusters/1/export?split=training&validation_share=0.9", "", HttpStatusCode.BadRequest, "invalid_value")]
    [InlineData("GET", "/admin/clusters/999/export?split=training", "", HttpStatusCode.NotFound, "not_found")]
    [InlineData("DELETE", "/admin/captures", "", HttpStatusCode.BadRequest, "missing_required_parameter")]
    [InlineData("DELETE", "/admin/captures?older_than_days=-1", "", HttpStatusCode.BadRequest, "invalid_value")]
    [InlineData("GET", "/admin/router/evidence?limit=0", "", HttpStatusCode.BadRequest, "invalid_value")]
    [InlineData("GET", "/admin/router/evidence?limit=1000000000", "", HttpStatusCode.BadRequest, "invalid_value")]
    public async Task BadAdminRequest_IsAClear4xx(string method, string path, string body, HttpStatusCode status, string code)
    {
        await using var gateway = await StartAsync();
        using var admin = new AdminClient(gateway);

        var error = await OpenAiErrorAssert.IsErrorAsync(await admin.SendAsync(new HttpMethod(method), path, body.Length == 0 ? null : body), status);

        Assert.Equal(code, error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("/admin/clusters/1/export?split=training&validation_share=half")]
    [InlineData("/admin/captures?older_than_days=soon")]
    [InlineData("/admin/router/evidence?limit=all")]
    public async Task UnparseableQueryValue_IsA400(string path)
    {
        await using var gateway = await StartAsync();
        using var admin = new AdminClient(gateway);

        await OpenAiErrorAssert.IsErrorAsync(await admin.SendAsync(path.StartsWith("/admin/captures", StringComparison.Ordinal) ? HttpMethod.Delete : HttpMethod.Get, path), HttpStatusCode.BadRequest);
    }

    private async Task<GatewayFactory> StartAsync()
    {
        var store = await LoopStore.CreateAsync("sqlite", postgres);
        return new GatewayFactory(new GatewaySettings().LocalModel("tiny-random", TestModels.TinyRandom).Capture(store));
    }
}
