using System.ClientModel;
using OpenAI;
using OpenAI.Chat;

namespace SlmGateway.FunctionalTests.Infrastructure;

/// <summary>The official OpenAI .NET SDK pointed at a gateway.</summary>
public static class Sdk
{
    public static ChatClient Chat(GatewayFactory gateway, string model, string apiKey = "client-key-not-for-upstream") =>
        new(model, new ApiKeyCredential(apiKey), new OpenAIClientOptions
        {
            Endpoint = gateway.BaseUrl,
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0),
            NetworkTimeout = TimeSpan.FromSeconds(30),
        });
}
