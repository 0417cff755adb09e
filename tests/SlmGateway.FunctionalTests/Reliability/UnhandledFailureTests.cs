using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Reliability;

/// <summary>
/// A failure no request can cause (a backend that throws) still gets an OpenAI-shaped answer while
/// nothing has reached the client, a cut connection once something has, and leaves the gateway serving.
/// </summary>
public sealed class UnhandledFailureTests : IAsyncLifetime
{
    private const string Chat = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""";

    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync(record: false);

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task AnExceptionBeforeTheAnswer_IsAn500WithTheRequestId_AndTheGatewayGoesOn()
    {
        await using var gateway = Gateway(new ThrowingBackend(writeFirst: false));
        using var client = gateway.CreateHttpClient();

        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(Chat, Encoding.UTF8, "application/json"));

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.InternalServerError);
        Assert.Equal("internal_error", error.GetProperty("code").GetString());
        var requestId = Assert.Single(response.Headers.GetValues(GatewayHeaders.RequestId));
        Assert.Contains(requestId, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models")).StatusCode);
    }

    [Fact]
    public async Task AnExceptionAfterTheAnswerStarted_CutsTheConnection_AndTheGatewayGoesOn()
    {
        await using var gateway = Gateway(new ThrowingBackend(writeFirst: true));
        using var client = gateway.CreateHttpClient();

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await client.PostAsync("/v1/chat/completions", new StringContent(Chat, Encoding.UTF8, "application/json"));
            await response.Content.ReadAsStringAsync();
        });
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models")).StatusCode);
    }

    private GatewayFactory Gateway(ThrowingBackend backend) =>
        new(new GatewaySettings().Upstream("fake", _upstream.BaseUrl, "gpt-4o-mini"),
            faults: services => services.AddKeyedSingleton<IRequestBackend>(BackendKeys.Remote, backend));

    private sealed class ThrowingBackend(bool writeFirst) : IRequestBackend
    {
        public async ValueTask<BackendOutcome> ServeAsync(GatewayRequest request, ModelRoute route, RouteCandidate candidate, HttpContext context)
        {
            if (writeFirst)
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"id\":");
                await context.Response.Body.FlushAsync();
            }

            throw new InvalidOperationException("A fault injected by the test.");
        }
    }
}
