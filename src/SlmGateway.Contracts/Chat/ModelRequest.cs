namespace SlmGateway.Contracts.Chat;

/// <summary>
/// The fields the gateway reads from the bodies it only forwards (embeddings, completions, responses).
/// </summary>
public sealed class ModelRequest
{
    public string? Model { get; set; }
    public bool? Stream { get; set; }
}
