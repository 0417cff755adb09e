using Microsoft.Extensions.Configuration;

namespace SlmGateway.Core.Configuration;

/// <summary>
/// The configuration binder silently leaves out a list element it cannot bind (a typo in one
/// <c>TimeSpan</c> dropped every upstream, and the gateway reported ready). Binding each element on
/// its own brings the binder's error back, naming the setting, for the validators to report.
/// </summary>
public static class ListBinding
{
    /// <summary>One message for each element of the list at <paramref name="path"/> that does not bind to <typeparamref name="T"/>.</summary>
    public static IEnumerable<string> Failures<T>(IConfiguration configuration, string path)
    {
        foreach (var element in configuration.GetSection(path).GetChildren())
        {
            string? failure = null;
            try
            {
                element.Get<T>();
            }
            catch (InvalidOperationException ex)
            {
                failure = ex.Message;
            }

            if (failure is not null)
            {
                yield return failure;
            }
        }
    }
}
