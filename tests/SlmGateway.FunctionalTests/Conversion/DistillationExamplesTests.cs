using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.Distill;

namespace SlmGateway.FunctionalTests.Conversion;

/// <summary>
/// What the distillation job trains on, besides the exported lines themselves: surrogates for the
/// placeholders that redaction left, and copy variants of the values the teacher took from the ask.
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
    public void AVariant_ReplacesTheCopiedValuesWhereverTheyOccur_KeepingTheirShape()
    {
        var line = Line("Is order QZ-4021 at Lisbon? LISBON said so.", """{"order":"QZ-4021","city":"Lisbon","amount":120,"unit":"celsius"}""");
        var answer = ChatExamples.Answer(line)!.Value.Answer;

        var variant = CopyAugmentation.Variant(line, answer, ["content.order", "content.city", "content.amount"], new Random(3))!;

        var (ask, fields) = AskAndAnswer(variant);
        var (order, city) = (fields["order"]!.GetValue<string>(), fields["city"]!.GetValue<string>());
        Assert.Matches(@"^[A-Z]{2}-[1-9]0[1-9]{2}$", order);
        Assert.Matches("^[A-Z][a-z]{5}$", city);
        Assert.NotEqual(("QZ-4021", "Lisbon"), (order, city));
        Assert.Equal($"Is order {order} at {city}? {city.ToUpperInvariant()} said so.", ask);
        Assert.Equal(JsonValueKind.Number, fields["amount"]!.GetValueKind());
        Assert.Equal("celsius", fields["unit"]!.GetValue<string>());
        Assert.Null(CopyAugmentation.Variant(line, answer, ["content.unit_code"], new Random(3)));
    }

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
