using System.Globalization;
using System.Threading.RateLimiting;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Execution;

namespace SlmGateway.Host.Security;

internal static class ClientKeyRateLimits
{
    /// <summary>
    /// One fixed one-minute window per client key with a <c>RequestsPerMinute</c> limit; the partition
    /// key carries the limit, so a reloaded limit starts a fresh window.
    /// </summary>
    public static IServiceCollection AddClientKeyRateLimits(this IServiceCollection services) =>
        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var key = context.Features.Get<ClientKeyFeature>()?.Key;
                if (key is not { RequestsPerMinute: > 0 })
                {
                    return RateLimitPartition.GetNoLimiter(string.Empty);
                }

                var limit = key.RequestsPerMinute;
                return RateLimitPartition.GetFixedWindowLimiter(
                    string.Create(CultureInfo.InvariantCulture, $"{key.Id}:{limit}"),
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
            options.OnRejected = (context, _) =>
            {
                TimeSpan? retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : null;
                var id = context.HttpContext.Features.Get<ClientKeyFeature>()?.Key.Id;
                return new ValueTask(ErrorWriter.WriteAsync(
                    context.HttpContext.Response,
                    GatewayError.RateLimited($"Rate limit reached for key '{id}'; retry after the time in the Retry-After header."),
                    retryAfter ?? TimeSpan.FromSeconds(1)));
            };
        });
}
