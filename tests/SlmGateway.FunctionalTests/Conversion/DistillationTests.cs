using System.Net;
using System.Text;
using System.Text.Json;
using SlmGateway.FunctionalTests.Infrastructure;
using SlmGateway.Tests.Common;

namespace SlmGateway.FunctionalTests.Conversion;

/// <summary>
/// S5 end to end on a tiny task: an agent asks for the weather in a unit; a deterministic fake remote
/// "teacher" answers with the right tool call. The captured calls cluster, a distillation job trains a
/// specialist with the real engine (PyTorch, Debian's python3-torch), GenAI loads it, it shadows the
/// cluster's new remote calls, the policy promotes it, and it then serves the cluster's requests with
/// the right call. A job that is cancelled or fails leaves the cluster's routing as it was.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DistillationTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string Python = "/usr/bin/python3";

    private static readonly string[] Cities = ["Paris", "Oslo", "Lima", "Cairo", "Tokyo", "Quito", "Rome", "Perth", "Delhi", "Seoul", "Dublin", "Austin"];

    private static readonly string[] Wordings =
    [
        "What's the weather in {0} in {1}?",
        "weather {0}, {1} please",
        "How warm is it in {0} right now? Use {1}.",
        "Give me the current temperature for {0} in {1}.",
        "{0} weather in {1}",
    ];

    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("slmgw-specialists-");
    private FakeUpstream _teacher = null!;

    public async Task InitializeAsync()
    {
        _teacher = await FakeUpstream.StartAsync();
        _teacher.Handler = (context, request, _) =>
        {
            using var json = request.Json();
            var ask = json.RootElement.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString()!;
            var unit = ask.Contains("fahrenheit", StringComparison.Ordinal) ? "fahrenheit" : "celsius";
            return OpenAiResponses.WriteJsonAsync(context.Response, 200, OpenAiResponses.ToolCallCompletion("gpt-4o-mini", "get_unit_weather", $$"""{"unit": "{{unit}}"}"""));
        };
    }

    public async Task DisposeAsync()
    {
        await _teacher.DisposeAsync();
        _output.Delete(recursive: true);
    }

    [Fact]
    public async Task DistilledSpecialist_IsShadowedPromotedAndServesTheRightToolCall()
    {
        await using var gateway = new GatewayFactory(await SettingsAsync(_output.FullName));
        using var admin = new AdminClient(gateway);
        var clusterId = await CaptureAsync(gateway, admin, 48, seed: 1);

        var started = await admin.PostAsync($"/admin/clusters/{clusterId}/distill");
        Assert.Equal(("running", clusterId), (started.GetProperty("state").GetString(), started.GetProperty("cluster").GetInt64()));
        var (job, seenTraining) = await WaitForJobAsync(admin, started.GetProperty("id").GetString()!, TimeSpan.FromMinutes(10));

        Assert.True(seenTraining, "the job's training progress (step and loss) never showed in /admin/loop");
        Assert.Equal("completed", job.GetProperty("state").GetString());
        var report = job.GetProperty("report");
        Assert.True(report.GetProperty("training_examples").GetInt32() >= 30, report.GetRawText());
        // The teacher took the unit from the ask every time: the specialist's answers must too, or be escalated.
        Assert.Equal(["get_unit_weather.unit"], report.GetProperty("grounded_fields").EnumerateArray().Select(field => field.GetString()));
        // Each unit went with its own word in the asks: an answer's unit must go with the ask's words too.
        Assert.Equal(
            ["get_unit_weather.unit=celsius:celsius", "get_unit_weather.unit=fahrenheit:fahrenheit"],
            report.GetProperty("field_values").EnumerateArray().Select(value =>
                $"{value.GetProperty("field").GetString()}={value.GetProperty("value").GetString()}:{string.Join('|', value.GetProperty("words").EnumerateArray().Select(word => word.GetString()))}"));
        // Every example names its unit once: each is drawn at times with the other unit, in the ask and the answer.
        Assert.Equal(["get_unit_weather.unit"], report.GetProperty("swapped_fields").EnumerateArray().Select(field => field.GetString()));
        Assert.Equal(report.GetProperty("training_examples").GetInt32(), report.GetProperty("with_swapped_values").GetInt32());

        // Two candidates trained from seeds 1 and 2; the one more exact on the selection split is kept.
        var candidates = report.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal([1, 2], candidates.Select(candidate => candidate.GetProperty("seed").GetInt32()));
        var selection = report.GetProperty("selection_examples").GetInt32();
        Assert.True(selection >= 4, report.GetRawText());
        Assert.All(candidates, candidate => Assert.InRange(candidate.GetProperty("selection_exact").GetInt32(), 0, selection));
        Assert.Equal(
            candidates.MaxBy(candidate => candidate.GetProperty("selection_exact").GetInt32()).GetProperty("seed").GetInt32(),
            report.GetProperty("chosen_seed").GetInt32());
        var missed = report.GetProperty("validation_examples").GetInt32() - report.GetProperty("validation_exact").GetInt32();
        Assert.Equal(Math.Min(missed, 5), report.GetProperty("validation_misses").GetArrayLength());
        var specialist = job.GetProperty("model").GetString()!;
        Assert.StartsWith("specialist-", specialist, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_output.FullName, "specialists.json")));

        // The specialist shadows the cluster's new remote calls (fresh cities and wordings), and the policy promotes it.
        await CaptureAsync(gateway, admin, 8, seed: 2);
        await WaitForAgreementAsync(admin, clusterId, specialist, samples: 6);
        var promotion = Assert.Single((await admin.PostAsync("/admin/loop/evaluate")).GetProperty("changes").EnumerateArray());
        Assert.Equal((clusterId, "promoted", specialist), (promotion.GetProperty("cluster").GetInt64(), promotion.GetProperty("to").GetString(), promotion.GetProperty("model").GetString()));

        foreach (var (city, unit, number) in new[] { ("Vienna", "fahrenheit", 1), ("Nairobi", "celsius", 2) })
        {
            using var response = await SendAsync(gateway, Ask($"{string.Format(Wordings[0], city, unit)} (9-{number})", "auto"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(("local", "cluster_promoted", specialist), (Header(response, "x-slmgw-route"), Header(response, "x-slmgw-reason"), Header(response, "x-slmgw-model")));
            using var answer = JsonDocument.Parse(body);
            Assert.True(answer.RootElement.GetProperty("choices")[0].GetProperty("message").TryGetProperty("tool_calls", out var calls), body);
            var call = Assert.Single(calls.EnumerateArray());
            Assert.Equal("get_unit_weather", call.GetProperty("function").GetProperty("name").GetString());
            using var arguments = JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!);
            Assert.Equal(unit, arguments.RootElement.GetProperty("unit").GetString());
        }

        Assert.Equal(1, await JobsEndedAsync(gateway, "completed"));
    }

    [Fact]
    public async Task CancelledJob_StopsTraining_RegistersNothing_AndRoutingStaysAsItWas()
    {
        var settings = (await SettingsAsync(_output.FullName)).Set("SlmGateway:Loop:Distillation:Steps", "100000");
        await using var gateway = new GatewayFactory(settings);
        using var admin = new AdminClient(gateway);
        var clusterId = await CaptureAsync(gateway, admin, 32, seed: 3);
        var job = (await admin.PostAsync($"/admin/clusters/{clusterId}/distill")).GetProperty("id").GetString()!;

        using (var second = await admin.SendAsync(HttpMethod.Post, $"/admin/clusters/{clusterId}/distill"))
        {
            Assert.Equal("distillation_running", (await OpenAiErrorAssert.IsErrorAsync(second, HttpStatusCode.Conflict)).GetProperty("code").GetString());
        }

        await WaitForStepAsync(admin, job);
        using (var cancel = await admin.SendAsync(HttpMethod.Delete, $"/admin/distillations/{job}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        var (ended, _) = await WaitForJobAsync(admin, job, TimeSpan.FromSeconds(60));
        Assert.Equal("cancelled", ended.GetProperty("state").GetString());
        await AssertRoutingUnchangedAsync(gateway, admin, clusterId, _output.FullName);
    }

    [Fact]
    public async Task JobOutOfTime_StopsTrainingInTime_AndEndsWithAnEvaluatedModel()
    {
        // 100,000 steps cannot fit in 40 s: training gets half of it, then the model is written and evaluated before the job's deadline.
        var settings = (await SettingsAsync(_output.FullName))
            .Set("SlmGateway:Loop:Distillation:Steps", "100000")
            .Set("SlmGateway:Loop:Distillation:MaxDuration", "00:00:40");
        await using var gateway = new GatewayFactory(settings);
        using var admin = new AdminClient(gateway);
        var clusterId = await CaptureAsync(gateway, admin, 32, seed: 6);

        var job = (await admin.PostAsync($"/admin/clusters/{clusterId}/distill")).GetProperty("id").GetString()!;
        var (ended, _) = await WaitForJobAsync(admin, job, TimeSpan.FromSeconds(120));

        Assert.Equal("completed", ended.GetProperty("state").GetString());
        var report = ended.GetProperty("report");
        Assert.InRange(report.GetProperty("steps_trained").GetInt32(), 1, 99_999);
        Assert.True(report.GetProperty("training_seconds").GetDouble() >= 20, report.GetRawText());
        Assert.True(report.GetProperty("validation_examples").GetInt32() > 0, report.GetRawText());
        Assert.StartsWith("specialist-", ended.GetProperty("model").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await JobsEndedAsync(gateway, "completed"));
    }

    [Fact]
    public async Task FailedJob_AndRefusedStarts_LeaveTheClusterAsItWas()
    {
        var settings = (await SettingsAsync(_output.FullName)).Set("SlmGateway:Loop:Distillation:Python", "/nonexistent/python3");
        await using var gateway = new GatewayFactory(settings);
        using var admin = new AdminClient(gateway);
        var clusterId = await CaptureAsync(gateway, admin, 32, seed: 4);

        using (var unknown = await admin.SendAsync(HttpMethod.Post, "/admin/clusters/999999/distill"))
        {
            Assert.Equal("not_found", (await OpenAiErrorAssert.IsErrorAsync(unknown, HttpStatusCode.NotFound)).GetProperty("code").GetString());
        }

        using (var missing = await admin.SendAsync(HttpMethod.Get, "/admin/distillations/nothing-1"))
        {
            Assert.Equal("not_found", (await OpenAiErrorAssert.IsErrorAsync(missing, HttpStatusCode.NotFound)).GetProperty("code").GetString());
        }

        var job = (await admin.PostAsync($"/admin/clusters/{clusterId}/distill")).GetProperty("id").GetString()!;
        var (ended, _) = await WaitForJobAsync(admin, job, TimeSpan.FromSeconds(120));
        Assert.Equal("failed", ended.GetProperty("state").GetString());
        Assert.Contains("/nonexistent/python3", ended.GetProperty("error").GetString(), StringComparison.Ordinal);
        await AssertRoutingUnchangedAsync(gateway, admin, clusterId, _output.FullName);

        Assert.Equal(1, await JobsEndedAsync(gateway, "failed"));
    }

    [Fact]
    public async Task ClusterWithTooFewExamples_IsRefusedWith400()
    {
        await using var gateway = new GatewayFactory(await SettingsAsync(_output.FullName));
        using var admin = new AdminClient(gateway);
        var clusterId = await CaptureAsync(gateway, admin, 5, seed: 5);

        using var response = await admin.SendAsync(HttpMethod.Post, $"/admin/clusters/{clusterId}/distill");

        Assert.Equal("insufficient_examples", (await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadRequest)).GetProperty("code").GetString());
        Assert.Empty((await admin.GetAsync("/admin/distillations")).GetProperty("data").EnumerateArray());
    }

    private async Task<GatewaySettings> SettingsAsync(string output) =>
        new GatewaySettings()
            .LocalModel("tiny-random", TestModels.TinyRandom, ("Tasks:0", "chat"))
            .Upstream("teacher", _teacher.BaseUrl, "gpt-4o-mini")
            .AutoRouting("tiny-random", "gpt-4o-mini")
            .Capture(await LoopStore.CreateAsync("sqlite", postgres))
            .Set("SlmGateway:Loop:Shadow:SampleRate", "1")
            .Set("SlmGateway:Loop:Shadow:CpuBudget", "1")
            .Set("SlmGateway:Loop:Promotion:MinSamples", "6")
            .Set("SlmGateway:Loop:Promotion:Interval", "01:00:00")
            .Set("SlmGateway:Loop:Distillation:OutputPath", output)
            .Set("SlmGateway:Loop:Distillation:Python", Python)
            .Set("SlmGateway:Loop:Distillation:MinExamples", "20")
            .Set("SlmGateway:Loop:Distillation:HiddenSize", "64")
            .Set("SlmGateway:Loop:Distillation:Layers", "2")
            .Set("SlmGateway:Loop:Distillation:Steps", "300")
            .Set("SlmGateway:Loop:Distillation:LearningRate", "0.01");

    /// <summary>Sends distinct weather asks to the remote model (the teacher) and returns their cluster once captured.</summary>
    private static async Task<long> CaptureAsync(GatewayFactory gateway, AdminClient admin, int calls, int seed)
    {
        var random = new Random(seed);
        var before = (await admin.GetAsync("/admin/loop")).GetProperty("capture").GetProperty("accepted").GetInt64();
        for (var i = 0; i < calls; i++)
        {
            var ask = string.Format(Wordings[random.Next(Wordings.Length)], Cities[random.Next(Cities.Length)], random.Next(2) == 0 ? "celsius" : "fahrenheit");
            using var response = await SendAsync(gateway, Ask($"{ask} ({seed}-{i})", "gpt-4o-mini"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await admin.SettledCaptureAsync(before + calls);
        var cluster = Assert.Single((await admin.GetAsync("/admin/clusters")).GetProperty("data").EnumerateArray());
        return cluster.GetProperty("id").GetInt64();
    }

    private static async Task AssertRoutingUnchangedAsync(GatewayFactory gateway, AdminClient admin, long clusterId, string output)
    {
        var cluster = await admin.GetAsync($"/admin/clusters/{clusterId}");
        Assert.Equal("observed", cluster.GetProperty("state").GetString());
        Assert.Empty(cluster.GetProperty("events").EnumerateArray());
        var models = await gateway.CreateHttpClient().GetStringAsync("/v1/models");
        Assert.DoesNotContain("specialist-", models, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
        using var response = await SendAsync(gateway, Ask(string.Format(Wordings[1], "Lima", "celsius"), "auto"));
        Assert.NotEqual("cluster_promoted", Header(response, "x-slmgw-reason"));
    }

    private static async Task<(JsonElement Job, bool SeenTraining)> WaitForJobAsync(AdminClient admin, string id, TimeSpan timeout)
    {
        var seenTraining = false;
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var current = (await admin.GetAsync("/admin/loop")).GetProperty("distillation");
            seenTraining |= current.GetProperty("stage").GetString() == "train" && current.GetProperty("step").GetInt32() > 0
                && current.GetProperty("loss").ValueKind == JsonValueKind.Number;
            var job = await admin.GetAsync($"/admin/distillations/{id}");
            if (job.GetProperty("state").GetString() != "running")
            {
                return (job, seenTraining);
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Distillation job {id} did not end within {timeout}.");
    }

    private static async Task WaitForStepAsync(AdminClient admin, string id)
    {
        for (var attempt = 0; attempt < 1200; attempt++)
        {
            var job = await admin.GetAsync($"/admin/distillations/{id}");
            if (job.GetProperty("step").GetInt32() > 0)
            {
                return;
            }

            Assert.Equal("running", job.GetProperty("state").GetString());
            await Task.Delay(100);
        }

        throw new TimeoutException($"Distillation job {id} reported no training step within 120 s.");
    }

    private static async Task WaitForAgreementAsync(AdminClient admin, long clusterId, string model, int samples)
    {
        for (var attempt = 0; attempt < 1200; attempt++)
        {
            var shadow = (await admin.GetAsync($"/admin/clusters/{clusterId}")).GetProperty("shadow").EnumerateArray()
                .FirstOrDefault(s => s.GetProperty("model").GetString() == model);
            if (shadow.ValueKind == JsonValueKind.Object && shadow.GetProperty("samples").GetInt32() >= samples)
            {
                Assert.Equal(shadow.GetProperty("samples").GetInt32(), shadow.GetProperty("agreed").GetInt32());
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{samples} shadow samples of {model} did not arrive within 120 s.");
    }

    private static string Ask(string text, string model) => JsonSerializer.Serialize(new
    {
        model,
        temperature = 0,
        messages = new object[]
        {
            new { role = "system", content = "You are a weather assistant." },
            new { role = "user", content = text },
        },
        tools = new object[]
        {
            new
            {
                type = "function",
                function = new
                {
                    name = "get_unit_weather",
                    description = "The weather where the user is, in the unit asked for",
                    parameters = new { type = "object", properties = new { unit = new { type = "string", @enum = new[] { "celsius", "fahrenheit" } } }, required = new[] { "unit" } },
                },
            },
        },
    });

    private static async Task<HttpResponseMessage> SendAsync(GatewayFactory gateway, string json)
    {
        using var client = gateway.CreateHttpClient();
        return await client.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
    }

    /// <summary>The value of <c>slmgw_distill_jobs_total</c> for an outcome, from the Prometheus scrape.</summary>
    private static async Task<double> JobsEndedAsync(GatewayFactory gateway, string outcome)
    {
        var scrape = await gateway.CreateHttpClient().GetStringAsync("/metrics");
        var line = scrape.Split('\n').Single(l => l.StartsWith("slmgw_distill_jobs_total{", StringComparison.Ordinal) && l.Contains($"outcome=\"{outcome}\"", StringComparison.Ordinal));
        return double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Header(HttpResponseMessage response, string name) => response.Headers.GetValues(name).Single();
}
