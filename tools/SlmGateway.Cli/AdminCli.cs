using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SlmGateway.Cli;

/// <summary>
/// <c>slmgw</c>: the conversion loop's admin API from a shell. Reads <c>--url</c> (default
/// <c>SLMGW_URL</c> or http://localhost:8080) and <c>--admin-key</c> (default <c>SLMGW_ADMIN_KEY</c>).
/// </summary>
public static class AdminCli
{
    public const string Usage = """
        usage: slmgw [--url http://localhost:8080] [--admin-key KEY] COMMAND
          status                               capture counters and the store
          clusters                             task clusters: state, size, tools, terms, shadow agreement
          cluster ID                           one cluster with its changes and their evidence
          events                               every change of state, with its evidence
          evaluate                             apply the promotion policy now
          promote ID --model NAME [--reason T] serve the cluster from a local model
          demote ID [--reason T]               serve the cluster remotely
          export ID --out DIR [--validation-share 0.1]
                                               write DIR/cluster-ID-training.jsonl and -validation.jsonl
          distill ID                           start a distillation job: train a specialist for the cluster
          distillations                        distillation jobs and their progress (stage, step, loss)
          cancel-distillation JOB              stop a running distillation job
          delete (--key-id ID | --older-than-days N | --all)
                                               delete captured calls
        The admin key may also come from SLMGW_ADMIN_KEY, the URL from SLMGW_URL.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors)
    {
        var options = new Options(args);
        var key = options.Value("--admin-key") ?? Environment.GetEnvironmentVariable("SLMGW_ADMIN_KEY");
        var command = options.Positional.FirstOrDefault();
        if (command is null || key is null)
        {
            await errors.WriteLineAsync(command is null ? Usage : "An admin key is needed: --admin-key KEY or SLMGW_ADMIN_KEY.");
            return 2;
        }

        using var client = new HttpClient { BaseAddress = new Uri(options.Value("--url") ?? Environment.GetEnvironmentVariable("SLMGW_URL") ?? "http://localhost:8080") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var api = new AdminApiClient(client);
        try
        {
            return command switch
            {
                "status" => await PrintAsync(output, await api.SendAsync(HttpMethod.Get, "/admin/loop")),
                "clusters" => await ClustersAsync(output, await api.SendAsync(HttpMethod.Get, "/admin/clusters")),
                "cluster" => await PrintAsync(output, await api.SendAsync(HttpMethod.Get, $"/admin/clusters/{options.Id()}")),
                "events" => await PrintAsync(output, await api.SendAsync(HttpMethod.Get, "/admin/events")),
                "evaluate" => await PrintAsync(output, await api.SendAsync(HttpMethod.Post, "/admin/loop/evaluate")),
                "promote" => await PrintAsync(output, await api.SendAsync(HttpMethod.Post, $"/admin/clusters/{options.Id()}/promote",
                    JsonSerializer.Serialize(new Dictionary<string, string?> { ["model"] = options.Required("--model"), ["reason"] = options.Value("--reason") }))),
                "demote" => await PrintAsync(output, await api.SendAsync(HttpMethod.Post, $"/admin/clusters/{options.Id()}/demote",
                    JsonSerializer.Serialize(new Dictionary<string, string?> { ["reason"] = options.Value("--reason") }))),
                "export" => await ExportAsync(output, api, options),
                "distill" => await PrintAsync(output, await api.SendAsync(HttpMethod.Post, $"/admin/clusters/{options.Id()}/distill")),
                "distillations" => await PrintAsync(output, await api.SendAsync(HttpMethod.Get, "/admin/distillations")),
                "cancel-distillation" => await PrintAsync(output, await api.SendAsync(HttpMethod.Delete, $"/admin/distillations/{Uri.EscapeDataString(options.Positional.ElementAtOrDefault(1) ?? throw new UsageException("Name the job."))}")),
                "delete" => await PrintAsync(output, await api.SendAsync(HttpMethod.Delete, "/admin/captures" + DeleteQuery(options))),
                _ => throw new UsageException($"Unknown command '{command}'."),
            };
        }
        catch (UsageException ex)
        {
            await errors.WriteLineAsync($"{ex.Message}\n{Usage}");
            return 2;
        }
        catch (AdminApiException ex)
        {
            await errors.WriteLineAsync(ex.Message);
            return 1;
        }
        catch (HttpRequestException ex)
        {
            await errors.WriteLineAsync($"The gateway at {client.BaseAddress} did not answer: {ex.Message}");
            return 1;
        }
    }

    private static async Task<int> PrintAsync(TextWriter output, string json)
    {
        using var document = JsonDocument.Parse(json);
        await output.WriteLineAsync(JsonSerializer.Serialize(document.RootElement, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static async Task<int> ClustersAsync(TextWriter output, string json)
    {
        using var document = JsonDocument.Parse(json);
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"{"ID",5}  {"STATE",-9} {"MODEL",-16} {"SIZE",6}  {"SHADOW",-26} {"TOOLS / TERMS"}");
        foreach (var cluster in document.RootElement.GetProperty("data").EnumerateArray())
        {
            var shadow = string.Join(", ", cluster.GetProperty("shadow").EnumerateArray().Select(s => string.Create(CultureInfo.InvariantCulture,
                $"{s.GetProperty("model").GetString()} {s.GetProperty("agreed").GetInt64()}/{s.GetProperty("samples").GetInt64()}")));
            var tools = string.Join(",", cluster.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
            var terms = string.Join(" ", cluster.GetProperty("terms").EnumerateArray().Select(t => t.GetString()));
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{cluster.GetProperty("id").GetInt64(),5}  {cluster.GetProperty("state").GetString(),-9} {cluster.GetProperty("model").GetString() ?? "-",-16} {cluster.GetProperty("size").GetInt64(),6}  {(shadow.Length == 0 ? "-" : shadow),-26} {tools} {terms}").TrimEnd());
        }

        await output.WriteAsync(table.ToString());
        return 0;
    }

    private static async Task<int> ExportAsync(TextWriter output, AdminApiClient api, Options options)
    {
        var id = options.Id();
        var folder = options.Required("--out");
        var share = options.Value("--validation-share") ?? "0.1";
        Directory.CreateDirectory(folder);
        foreach (var split in new[] { "training", "validation" })
        {
            var lines = await api.SendAsync(HttpMethod.Get, $"/admin/clusters/{id}/export?split={split}&validation_share={Uri.EscapeDataString(share)}");
            var path = Path.Combine(folder, $"cluster-{id}-{split}.jsonl");
            await File.WriteAllTextAsync(path, lines);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{path}: {lines.Count(c => c == '\n')} examples"));
        }

        return 0;
    }

    private static string DeleteQuery(Options options)
    {
        var parts = new List<string>();
        if (options.Value("--key-id") is { } keyId)
        {
            parts.Add("key_id=" + Uri.EscapeDataString(keyId));
        }

        if (options.Value("--older-than-days") is { } days)
        {
            parts.Add("older_than_days=" + Uri.EscapeDataString(days));
        }

        if (options.Flag("--all"))
        {
            parts.Add("all=true");
        }

        return parts.Count == 0 ? throw new UsageException("delete needs --key-id, --older-than-days or --all.") : "?" + string.Join('&', parts);
    }
}
