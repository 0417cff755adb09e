using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SlmGateway.Contracts.Errors;
using SlmGateway.Contracts.Serialization;

namespace SlmGateway.Conversion.Admin;

/// <summary>Admin API answers: JSON documents, and errors in OpenAI's shape.</summary>
internal static class AdminResults
{
    public static IResult Json(JsonNode body, int status = StatusCodes.Status200OK) =>
        Results.Text(body.ToJsonString(), "application/json", statusCode: status);

    public static IResult Error(GatewayError error) =>
        Results.Json(new OpenAiErrorEnvelope(error.Error), WireJsonContext.Default.OpenAiErrorEnvelope, statusCode: error.StatusCode);

    public static IResult NotFound(string what) =>
        Error(new GatewayError(StatusCodes.Status404NotFound, new OpenAiError($"{what} does not exist.", ErrorTypes.InvalidRequest, null, "not_found")));
}
