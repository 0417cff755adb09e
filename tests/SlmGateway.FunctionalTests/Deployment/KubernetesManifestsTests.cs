using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.FunctionalTests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace SlmGateway.FunctionalTests.Deployment;

/// <summary>
/// <c>deploy/kubernetes</c> rendered with <c>kubectl kustomize</c> (Debian's kubectl; tests/run.sh
/// installs it): every overlay yields the objects a deployment needs, and they refer to one another
/// and to what the gateway serves (ports, probe paths, the settings file it reads).
/// </summary>
public sealed class KubernetesManifestsTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    [InlineData("monitoring")]
    public async Task AnOverlay_RendersObjectsThatReferToEachOther(string overlay)
    {
        var objects = await RenderAsync(overlay);
        JsonNode Single(string kind) => Assert.Single(objects, o => (string?)o["kind"] == kind);

        var deployment = Single("Deployment");
        var service = Single("Service");
        var settings = Single("ConfigMap");
        var pdb = Single("PodDisruptionBudget");
        var hpa = Single("HorizontalPodAutoscaler");
        var pod = deployment["spec"]!["template"]!;
        var podLabels = pod["metadata"]!["labels"]!.AsObject();
        var container = Assert.Single(pod["spec"]!["containers"]!.AsArray())!;

        // Selectors select the pods; the autoscaler scales this deployment.
        AssertSelects(service["spec"]!["selector"]!.AsObject(), podLabels);
        AssertSelects(pdb["spec"]!["selector"]!["matchLabels"]!.AsObject(), podLabels);
        AssertSelects(deployment["spec"]!["selector"]!["matchLabels"]!.AsObject(), podLabels);
        Assert.Equal(("Deployment", (string?)deployment["metadata"]!["name"]), ((string?)hpa["spec"]!["scaleTargetRef"]!["kind"], (string?)hpa["spec"]!["scaleTargetRef"]!["name"]));

        // The gateway's port, probes and settings.
        var port = Assert.Single(container["ports"]!.AsArray())!;
        Assert.Equal((8080, "http"), (int.Parse((string)port["containerPort"]!, System.Globalization.CultureInfo.InvariantCulture), (string?)port["name"]));
        Assert.Equal("http", (string?)service["spec"]!["ports"]![0]!["targetPort"]);
        Assert.Equal("/healthz", (string?)container["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/readyz", (string?)container["readinessProbe"]!["httpGet"]!["path"]);
        var settingsVolume = pod["spec"]!["volumes"]!.AsArray().Single(v => v!["configMap"] is not null)!;
        Assert.Equal((string?)settings["metadata"]!["name"], (string?)settingsVolume["configMap"]!["name"]);
        Assert.Contains(container["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/app/appsettings.Production.json");
        var file = JsonNode.Parse((string)settings["data"]!["appsettings.Production.json"]!)!;
        Assert.Equal("memory", (string?)file["SlmGateway"]!["Limits"]!["Store"]);

        // Non-root, and time to finish streams: the preStop pause plus the gateway's drain and grace.
        Assert.Equal("true", (string?)pod["spec"]!["securityContext"]!["runAsNonRoot"]);
        Assert.Equal("false", (string?)container["securityContext"]!["allowPrivilegeEscalation"]);
        Assert.NotNull(container["lifecycle"]!["preStop"]);
        Assert.True(int.Parse((string)pod["spec"]!["terminationGracePeriodSeconds"]!, System.Globalization.CultureInfo.InvariantCulture) >= 5 + 5 + 125);
        Assert.NotNull(container["resources"]!["requests"]!["cpu"]);
        Assert.NotNull(container["resources"]!["limits"]!["memory"]);

        // Keys come from a Secret the operator creates (README: kubectl create secret generic slmgateway-keys).
        var secret = container["env"]!.AsArray().Select(e => e!["valueFrom"]?["secretKeyRef"]).OfType<JsonNode>().Single();
        Assert.Equal(("slmgateway-keys", "openai-api-key"), ((string?)secret["name"], (string?)secret["key"]));
        Assert.Contains("kubectl create secret generic slmgateway-keys --from-literal=openai-api-key=", await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "README.md")), StringComparison.Ordinal);

        switch (overlay)
        {
            case "gpu":
                Assert.Equal("1", (string?)container["resources"]!["limits"]!["nvidia.com/gpu"]);
                Assert.Equal("true", (string?)pod["spec"]!["nodeSelector"]!["nvidia.com/gpu.present"]);
                Assert.StartsWith("slmgateway-cuda:", (string?)container["image"], StringComparison.Ordinal);
                break;
            case "monitoring":
                var monitor = Single("ServiceMonitor");
                AssertSelects(monitor["spec"]!["selector"]!["matchLabels"]!.AsObject(), service["metadata"]!["labels"]!.AsObject());
                Assert.Equal(("http", "/metrics"), ((string?)monitor["spec"]!["endpoints"]![0]!["port"], (string?)monitor["spec"]!["endpoints"]![0]!["path"]));
                break;
            default:
                Assert.Null(container["resources"]!["limits"]!["nvidia.com/gpu"]);
                break;
        }
    }

    private static void AssertSelects(JsonObject selector, JsonObject labels) =>
        Assert.All(selector, pair => Assert.Equal((string?)pair.Value, (string?)labels[pair.Key]));

    private static async Task<List<JsonNode>> RenderAsync(string overlay)
    {
        var info = new ProcessStartInfo("kubectl", ["kustomize", Path.Combine(RepositoryRoot.Path, "deploy", "kubernetes", "overlays", overlay)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var kubectl = Process.Start(info)!;
        var output = kubectl.StandardOutput.ReadToEndAsync();
        var errors = kubectl.StandardError.ReadToEndAsync();
        await kubectl.WaitForExitAsync();
        Assert.True(kubectl.ExitCode == 0, await errors);

        var deserializer = new DeserializerBuilder().Build();
        var json = new SerializerBuilder().JsonCompatible().Build();
        var objects = new List<JsonNode>();
        using var reader = new StringReader(await output);
        var parser = new Parser(reader);
        parser.Consume<StreamStart>();
        while (parser.Accept<DocumentStart>(out _))
        {
            var document = deserializer.Deserialize<object>(parser);
            objects.Add(JsonNode.Parse(json.Serialize(document))!);
        }

        return objects;
    }
}
