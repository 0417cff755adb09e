using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Routing.Classification;

namespace SlmGateway.Routing;

/// <summary>
/// Start-up stops with one line when <c>Routing:ClassifierFile</c> is missing or cannot be used
/// (naming the file and what is wrong), or the session store is not one this version has.
/// </summary>
internal sealed class RoutingOptionsValidator : IValidateOptions<RoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingOptions options)
    {
        var failures = new List<string>();
        if (options.ClassifierFile is { } file)
        {
            try
            {
                _ = RouterModel.Load(file);
            }
            catch (InvalidDataException exception)
            {
                failures.Add($"SlmGateway:Routing:ClassifierFile: {exception.Message}");
            }
        }

        if (options.ClassifierReloadInterval <= TimeSpan.Zero)
        {
            failures.Add("SlmGateway:Routing:ClassifierReloadInterval must be positive.");
        }

        var sessions = options.Sessions;
        if (sessions.Store is not ("memory" or "postgres"))
        {
            failures.Add($"SlmGateway:Routing:Sessions:Store must be 'memory' or 'postgres', not '{sessions.Store}'.");
        }
        else if (sessions.Store == "postgres" && string.IsNullOrWhiteSpace(sessions.ConnectionString))
        {
            failures.Add("SlmGateway:Routing:Sessions:ConnectionString is required when Sessions:Store is 'postgres'.");
        }

        if (sessions.MaxEntries < 1 || sessions.IdleTimeout <= TimeSpan.Zero)
        {
            failures.Add("SlmGateway:Routing:Sessions:MaxEntries and IdleTimeout must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
