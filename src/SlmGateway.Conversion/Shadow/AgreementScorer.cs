using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Ports;

namespace SlmGateway.Conversion.Shadow;

/// <summary>
/// How far a local answer agrees with the remote model's: the same tool calls with equal arguments
/// (in any order), the same JSON, or free text close in meaning (MiniLM cosine at least
/// <c>Shadow:TextAgreement</c>). An answer the router would reject (undeclared tool, arguments or
/// JSON against the schema) never agrees.
/// </summary>
internal sealed class AgreementScorer(ITextEmbedder embedder, IOptionsMonitor<LoopOptions> options)
{
    public (bool Agreed, double Similarity) Score(JsonObject remote, LocalShadowAnswer local, ChatCompletionRequest request)
    {
        if (local.Rejection is not null)
        {
            return (false, 0);
        }

        var remoteCalls = (remote["tool_calls"] as JsonArray)?.Select(c => (Name: c?["function"]?["name"]?.GetValue<string>(), Arguments: c?["function"]?["arguments"]?.GetValue<string>())).ToList() ?? [];
        var localCalls = local.ToolCalls?.Select(c => (Name: c.Function?.Name, Arguments: c.Function?.Arguments)).ToList() ?? [];
        if (remoteCalls.Count > 0 || localCalls.Count > 0)
        {
            var matched = 0;
            var unmatched = localCalls.ToList();
            foreach (var call in remoteCalls)
            {
                var index = unmatched.FindIndex(l => l.Name == call.Name && JsonEquality.EqualTexts(l.Arguments, call.Arguments));
                if (index >= 0)
                {
                    unmatched.RemoveAt(index);
                    matched++;
                }
            }

            var similarity = (double)matched / Math.Max(remoteCalls.Count, localCalls.Count);
            return (similarity == 1, similarity);
        }

        var remoteText = remote["content"] is JsonValue text && text.GetValueKind() == JsonValueKind.String ? text.GetValue<string>() : string.Empty;
        var localText = local.Content ?? string.Empty;
        if (request.ResponseFormat?.Type is "json_object" or "json_schema")
        {
            return JsonEquality.EqualTexts(remoteText, localText) ? (true, 1) : (false, Cosine(remoteText, localText));
        }

        var cosine = Cosine(remoteText, localText);
        return (cosine >= options.CurrentValue.Shadow.TextAgreement, cosine);
    }

    private double Cosine(string a, string b) => a == b ? 1 : TensorPrimitives.Dot(embedder.Embed(a), embedder.Embed(b));
}
