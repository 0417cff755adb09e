using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Infrastructure;

/// <summary>A fresh fake upstream and a gateway configured against it, for each test.</summary>
public abstract class GatewayTest : IAsyncLifetime
{
    protected FakeUpstream Upstream { get; private set; } = null!;

    protected GatewayFactory Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await FakeUpstream.StartAsync();
        Gateway = new GatewayFactory(Configure(Upstream.BaseUrl));
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    protected abstract GatewaySettings Configure(string upstreamBaseUrl);
}
