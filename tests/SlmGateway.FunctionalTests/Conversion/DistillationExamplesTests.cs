using System.Text.Json.Nodes;
using SlmGateway.Distill;

namespace SlmGateway.FunctionalTests.Conversion;

/// <summary>
/// What the distillation job trains on, besides the exported lines themselves: surrogates for the
/// placeholders that redaction left, and the places of the values the teacher took from the ask,
/// which training makes up afresh.
/// </summary>
public sealed class DistillationExamplesTests
{
    [Fact]
    public void RedactedPlaceholders_BecomeOneMadeUpValueAKind_InTheAskAndTheAnswer()
    {
        var line = Line("Reach [NAME] at [EMAIL] or [PHONE]; cc [EMAIL].", """{"email":"[EMAIL]","phone":"[PHONE]"}""");

        var filled = RedactionSurrogates.Fill(line, new Random(7));

        var (ask, answer) = AskAndAnswer(filled);
        var email = answer["email"]!.GetValue<string>();
        var phone = answer["phone"]!.GetValue<string>();
        Assert.Matches(@"^[a-z]+\.[a-z]+@[a-z]+\.[a-z]+$", email);
        Assert.Matches(@"^\+\d+ \d{3} \d{3} \d{4}$", phone);
        Assert.Equal($"Reach [NAME] at {email} or {phone}; cc {email}.", ask);
        Assert.NotEqual(email, AskAndAnswer(RedactionSurrogates.Fill(line, new Random(8))).Answer["email"]!.GetValue<string>());
    }

    [Fact]
    public void CopiedFields_AreGroundedFieldsWithManyValues()
    {
        var examples = Enumerable.Range(0, 30).Select(i => ChatExamples.Answer(Line($"Weather in Town{i} in celsius", $$"""{"city":"Town{{i}}","unit":"celsius"}"""))!.Value);

        Assert.Equal(["content.city"], CopyAugmentation.CopiedFields(examples, ["content.city", "content.unit"]));
        Assert.Empty(CopyAugmentation.CopiedFields(examples, ["content.unit"]));
    }

    [Fact]
    public void CopiedValues_AreMarkedWhereverTheyOccur_InAnyCase_AndOnlyThem()
    {
        var line = Line("Is order QZ-4021 at Lisbon? LISBON said so; Lisbonne is elsewhere.", """{"order":"QZ-4021","city":"Lisbon","unit":"celsius"}""");
        var answer = ChatExamples.Answer(line)!.Value.Answer;
        // The specialist's vocabulary is byte-level: a token per byte, its id the byte.
        var ids = System.Text.Encoding.ASCII.GetBytes("user: Is order QZ-4021 at Lisbon? LISBON said so; Lisbonne is elsewhere. assistant: {\"order\":\"QZ-4021\",\"city\":\"Lisbon\"}")
            .Select(b => (int)b).Prepend(257).ToArray();
        var text = new string(ids.Select(id => id < 128 ? (char)id : '|').ToArray());

        var spans = CopyAugmentation.Spans(ids, answer, ["content.order", "content.city"]);

        Assert.Equal(["QZ-4021", "QZ-4021", "Lisbon", "LISBON", "Lisbon"], spans.Select(span => text.Substring(span.Start, span.Length)));
        Assert.Empty(CopyAugmentation.Spans(ids, answer, ["content.unit_code"]));
    }

    [Fact]
    public void SwappableValues_AreMarkedInTheAnswerAndAtTheirOneWordInTheAsk()
    {
        var fields = ValueSwaps.Fields(
        [
            new() { Field = "content.from", Value = "mi", Words = ["miles"] },
            new() { Field = "content.from", Value = "km", Words = ["kilometers", "km"] },
            new() { Field = "content.to", Value = "mi", Words = ["miles"] },
            new() { Field = "content.to", Value = "km", Words = ["kilometers", "km"] },
            new() { Field = "content.lone", Value = "x", Words = ["ex"] },
            new() { Field = "content.mood", Value = "calm", Words = [] },
            new() { Field = "content.mood", Value = "busy", Words = ["busy"] },
        ]);
        Assert.Equal(["content.from", "content.to"], fields.Select(field => field.Field));

        const string Prompt = "user: Convert 5 Miles to km. ";
        var (ids, answer) = Example(Prompt, """{"from":"mi","to":"km"}""");

        var slots = ValueSwaps.Slots(ids, Prompt.Length + 1, answer, fields);

        var text = new string(ids.Select(id => id < 128 ? (char)id : '|').ToArray());
        Assert.Equal(
            ["from=mi: Miles -> mi", "to=km: km -> km"],
            slots.Select(slot => $"{fields[slot.Field].Field[8..]}={fields[slot.Field].Values[slot.Value].Value}: "
                + $"{text.Substring(slot.AskStart, slot.AskLength)} -> {text.Substring(slot.AnswerStart, slot.AnswerLength)}"));

        // A value whose words stand twice in the ask, or not at all, is left as it is.
        const string Twice = "user: Miles, miles: convert 5 of them to km. ";
        var (twiceIds, twiceAnswer) = Example(Twice, """{"from":"mi","to":"km"}""");
        Assert.Equal([1], ValueSwaps.Slots(twiceIds, Twice.Length + 1, twiceAnswer, fields).Select(slot => slot.Field));
    }

    /// <summary>An example as the specialist's byte-level vocabulary tokenizes it: a start token, then a token per byte.</summary>
    private static (int[] Ids, SlmGateway.Contracts.Chat.ChatMessage Answer) Example(string prompt, string answer) =>
        (System.Text.Encoding.ASCII.GetBytes(prompt + answer).Select(b => (int)b).Prepend(257).ToArray(),
            ChatExamples.Answer(Line(prompt, answer))!.Value.Answer);

    private static string Line(string ask, string answer) => new JsonObject
    {
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "user", ["content"] = ask },
            new JsonObject { ["role"] = "assistant", ["content"] = answer }),
    }.ToJsonString();

    private static (string Ask, JsonObject Answer) AskAndAnswer(string line)
    {
        var messages = JsonNode.Parse(line)!["messages"]!.AsArray();
        return (messages[0]!["content"]!.GetValue<string>(), JsonNode.Parse(messages[1]!["content"]!.GetValue<string>())!.AsObject());
    }
}
