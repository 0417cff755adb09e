using System.Text.Json.Nodes;
using SlmGateway.Conversion.Store;

namespace SlmGateway.Conversion.Promotion;

/// <summary>
/// The S6 rules. An observed or demoted cluster is promoted to the local model with the best shadow
/// agreement once that model has <c>MinSamples</c> samples since the cluster's last change, agrees
/// on at least <c>Agreement</c> of the answers that pass validation (those serving would send; the
/// others it escalates), and passes validation on at least 1 − <c>DemoteEscalationRate</c> of them,
/// so that its own escalations would not demote it at once. A promoted cluster is demoted once, since its promotion, at
/// least <c>MinLiveSamples</c> of its requests were served locally or escalated and the escalated
/// share reached <c>DemoteEscalationRate</c>.
/// </summary>
internal static class PromotionPolicy
{
    public const string Actor = "policy";

    public static List<ClusterEvent> Decide(
        IEnumerable<ClusterRow> clusters, IReadOnlyList<ShadowStats> shadow, IReadOnlyList<TrafficStats> traffic, PromotionOptions options, long nowMs)
    {
        var changes = new List<ClusterEvent>();
        foreach (var cluster in clusters)
        {
            if (cluster.State == ClusterStates.Promoted)
            {
                var live = traffic.FirstOrDefault(t => t.ClusterId == cluster.Id);
                var served = live is null ? 0 : live.PromotedServed + live.Escalated;
                var rate = served == 0 ? 0 : (double)live!.Escalated / served;
                if (served >= options.MinLiveSamples && rate >= options.DemoteEscalationRate)
                {
                    var evidence = new JsonObject
                    {
                        ["live_requests"] = served,
                        ["escalated"] = live!.Escalated,
                        ["escalation_rate"] = Math.Round(rate, 4),
                        ["demote_at"] = options.DemoteEscalationRate,
                        ["min_live_samples"] = options.MinLiveSamples,
                    };
                    changes.Add(new ClusterEvent(cluster.Id, nowMs, cluster.State, ClusterStates.Demoted, cluster.Model, Actor, evidence.ToJsonString()));
                }

                continue;
            }

            var best = shadow
                .Where(s => s.ClusterId == cluster.Id && s.Samples >= options.MinSamples)
                .Where(s => s.ValidatedAgreement >= options.Agreement && s.Validated >= 1 - options.DemoteEscalationRate)
                .OrderByDescending(s => s.Agreement)
                .ThenByDescending(s => s.Samples)
                .FirstOrDefault();
            if (best is not null)
            {
                changes.Add(new ClusterEvent(cluster.Id, nowMs, cluster.State, ClusterStates.Promoted, best.Model, Actor, Evidence(best, options).ToJsonString()));
            }
        }

        return changes;
    }

    public static JsonObject Evidence(ShadowStats stats, PromotionOptions options)
    {
        var evidence = stats.ToJson();
        evidence["promote_at"] = options.Agreement;
        evidence["min_validated"] = Math.Round(1 - options.DemoteEscalationRate, 4);
        evidence["min_samples"] = options.MinSamples;
        return evidence;
    }
}
