using System.Text.Json.Serialization;

namespace SlmGateway.Backends.Remote.Forwarding;

[JsonSerializable(typeof(string))]
internal sealed partial class RewriterJsonContext : JsonSerializerContext;
