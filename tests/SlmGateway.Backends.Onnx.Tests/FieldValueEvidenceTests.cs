using System.Globalization;
using System.Text.Json;
using SlmGateway.Backends.Onnx.Serving;
using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Backends.Onnx.Tests;

public sealed class FieldValueEvidenceTests
{
    private static readonly (string Word, string Code)[] Units = [("miles", "mi"), ("kilometers", "km"), ("ounces", "oz"), ("grams", "g")];

    private static readonly string[] Asks = ["Convert {0} {1} to {2}", "How many {2} is {0} {1}?", "{0} {1} in {2} please"];

    [Fact]
    public void Learn_FindsTheWordsThatGoWithEachValue_OfFieldsWithFewValues()
    {
        var learned = FieldValueEvidence.Learn(Conversions(120), minExamples: 20, minShare: 0.95);

        // The amount takes a new value in almost every example: not a field with few values.
        Assert.DoesNotContain(learned, value => value.Field == "convert.value");
        Assert.Equal(
            ["convert.from:g=grams", "convert.from:km=kilometers", "convert.from:mi=miles", "convert.from:oz=ounces",
             "convert.to:g=grams", "convert.to:km=kilometers", "convert.to:mi=miles", "convert.to:oz=ounces"],
            learned.Select(value => $"{value.Field}:{value.Value}={string.Join('|', value.Words)}"));
    }

    [Fact]
    public void Learn_TakesSynonymsTogether_AndLeavesValuesWithoutTellingWordsUnchecked()
    {
        // "oz" and "ounces" each ask for oz in half the examples; a status is not said in the ask at all.
        var examples = Enumerable.Range(0, 80).Select(i => (
            Ask($"Weigh parcel {i} in {(i % 4 == 0 ? "ounces" : i % 4 == 1 ? "oz" : "grams")}"),
            Call("weigh", $$"""{"unit":"{{(i % 4 < 2 ? "oz" : "g")}}","status":"{{(i % 3 == 0 ? "open" : "closed")}}"}""")));

        var learned = FieldValueEvidence.Learn(examples, 20, 0.95).ToDictionary(value => $"{value.Field}:{value.Value}", value => value.Words);

        Assert.Equal(["ounces", "oz"], learned["weigh.unit:oz"].Order(StringComparer.Ordinal));
        Assert.Equal(["grams"], learned["weigh.unit:g"]);
        Assert.Empty(learned["weigh.status:open"]);
        Assert.Empty(learned["weigh.status:closed"]);
    }

    [Fact]
    public void Learn_NeedsEnoughExamples()
    {
        Assert.Empty(FieldValueEvidence.Learn(Conversions(19), 20, 0.95));
    }

    [Fact]
    public void LearnDifferent_FindsFieldsOverTheSameValuesThatNeverHoldTheSameOne()
    {
        var examples = Conversions(120).ToList();

        var different = FieldPairEvidence.Learn(examples, FieldValueEvidence.Learn(examples, 20, 0.95), 20, 0.95);

        // A number stands before the from-unit's word in every wording, "to", "many" or "in" before the to-unit's.
        Assert.Equal(
            ["convert.from/convert.to after # / in|many|to"],
            different.Select(pair => $"{pair.First}/{pair.Second} after {string.Join('|', pair.FirstPrecededBy)} / {string.Join('|', pair.SecondPrecededBy.Order(StringComparer.Ordinal))}"));
    }

    [Fact]
    public void LearnDifferent_LeavesFieldsThatSometimesHoldTheSameValue()
    {
        var examples = Enumerable.Range(0, 60).Select(i => (
            Ask($"Route {i}: {(i % 3 == 0 ? "there and back" : "one way")}"),
            Call("route", $$"""{"start":"{{Units[i % 4].Code}}","end":"{{(i % 3 == 0 ? Units[i % 4].Code : Units[(i + 1) % 4].Code)}}"}"""))).ToList();

        Assert.Empty(FieldPairEvidence.Learn(examples, FieldValueEvidence.Learn(examples, 20, 0.95), 20, 0.95));
    }

    [Theory]
    [InlineData("Convert 12 ounces to grams", """{"value":12,"from":"oz","to":"g"}""", null)]
    [InlineData("Convert 12 OUNCES to Grams", """{"value":12,"from":"oz","to":"g"}""", null)]
    [InlineData("What is 836.8 grams in ounces?", """{"value":836.8,"from":"g","to":"g"}""", "'convert.from' and 'convert.to' are both 'g', which they never were in its examples")]
    [InlineData("How many miles is 526.7 kilometers?", """{"value":526.7,"from":"km","to":"mi"}""", null)]
    [InlineData("How many miles is 526.7 kilometers?", """{"value":526.7,"from":"mi","to":"km"}""", "'convert.from' is 'mi', but its words do not stand where that field's words stood in its examples (after #): the fields look swapped")]
    [InlineData("Convert 5 grams to ounces", """{"value":5,"from":"oz","to":"g"}""", "'convert.from' is 'oz', but its words do not stand where that field's words stood in its examples (after #): the fields look swapped")]
    [InlineData("Convert 12 ounces to grams", """{"value":12,"from":"oz","to":"km"}""", "'convert.to' is 'km', but the request has none of the words that go with it (kilometers)")]
    [InlineData("Convert 12 ounces to grams", """{"value":12,"from":"lb","to":"g"}""", "'convert.from' is 'lb', a value its examples never had")]
    [InlineData("Convert 12 ounces to grams", """{"value":12}""", null)]
    public void Problem_NamesAValueThatDoesNotGoWithTheRequest(string ask, string arguments, string? problem)
    {
        var examples = Conversions(120).ToList();
        var learned = FieldValueEvidence.Learn(examples, 20, 0.95);
        var different = FieldPairEvidence.Learn(examples, learned, 20, 0.95);

        Assert.Equal(problem, FieldValueEvidence.Problem(Call("convert", arguments).ToolCalls, null, Ask(ask), learned, different));
    }

    [Fact]
    public void Problem_ChecksJsonAnswers_AndNothingWithoutLearnedValues()
    {
        var values = new List<AnswerFieldValue> { new() { Field = "content.unit", Value = "oz", Words = ["ounces", "oz"] } };

        Assert.Null(FieldValueEvidence.Problem(null, """{"unit":"oz"}""", Ask("5 oz please"), values, []));
        Assert.NotNull(FieldValueEvidence.Problem(null, """{"unit":"oz"}""", Ask("5 grams please"), values, []));
        Assert.Null(FieldValueEvidence.Problem(null, """{"unit":"oz"}""", Ask("5 grams please"), [], []));
    }

    private static IEnumerable<(ChatCompletionRequest, ChatMessage)> Conversions(int count)
    {
        var random = new Random(7);
        for (var i = 0; i < count; i++)
        {
            var from = Units[random.Next(Units.Length)];
            var to = Units.Where(unit => unit != from).ElementAt(random.Next(Units.Length - 1));
            var value = random.Next(1, 1000);
            yield return (
                Ask(string.Format(CultureInfo.InvariantCulture, Asks[i % Asks.Length], value, from.Word, to.Word)),
                Call("convert", $$"""{"value":{{value}},"from":"{{from.Code}}","to":"{{to.Code}}"}"""));
        }
    }

    private static ChatCompletionRequest Ask(string text) => new()
    {
        Messages = [new ChatMessage { Role = "user", Content = text }],
    };

    private static ChatMessage Call(string name, string arguments) => new()
    {
        Role = "assistant",
        ToolCalls = [new ToolCall { Id = "call_1", Type = "function", Function = new FunctionCall { Name = name, Arguments = arguments } }],
    };
}
