using System.Text.Json.Serialization;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Errors;
using SlmGateway.Contracts.Models;

namespace SlmGateway.Contracts.Serialization;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ModelRequest))]
[JsonSerializable(typeof(OpenAiErrorEnvelope))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelInfo))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
public sealed partial class WireJsonContext : JsonSerializerContext;
