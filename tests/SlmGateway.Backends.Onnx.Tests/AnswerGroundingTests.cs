using System.Text.Json;
using SlmGateway.Backends.Onnx.Serving;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Backends.Onnx.Tests;

public sealed class AnswerGroundingTests
{
    [Fact]
    public void Learn_KeepsTheFieldsTheTeacherTookFromTheRequest()
    {
        // The city and the amount are copied from the ask; the unit code ("km" for "kilometers") is not.
        var examples = Enumerable.Range(0, 40).Select(i => (
            Ask($"Weather in City{i} and {i}.50 kilometers please"),
            Call("lookup", $$"""{"city":"city{{i}}","amount":{{i}}.50,"unit":"km","metric":true}""")));

        var grounded = AnswerGrounding.Learn(examples, minExamples: 20, minShare: 0.95);

        Assert.Equal(["lookup.amount", "lookup.city"], grounded);
    }

    [Fact]
    public void Learn_NeedsEnoughExamples_AndToleratesAFewParaphrases()
    {
        var examples = Enumerable.Range(0, 20).Select(i => (Ask($"Order AB-{i} please"), Call("status", $$"""{"id":"{{(i == 0 ? "ab-0000" : $"AB-{i}")}}"}"""))).ToList();

        Assert.Equal(["status.id"], AnswerGrounding.Learn(examples, 20, 0.95));
        Assert.Empty(AnswerGrounding.Learn(examples.Take(19), 20, 0.95));
        Assert.Empty(AnswerGrounding.Learn(examples, 20, 1.0));
    }

    [Fact]
    public void Learn_ReadsTheFieldsOfJsonAnswers()
    {
        var examples = Enumerable.Range(0, 20).Select(i => (Ask($"From: Ana{i} <ana{i}@example.com>"), Content($$"""{"name":"Ana{{i}}","email":"ana{{i}}@example.com","kind":"contact"}""")));

        Assert.Equal(["content.email", "content.name"], AnswerGrounding.Learn(examples, 20, 0.95));
    }

    [Theory]
    [InlineData("""{"order_id":"QZ-48213"}""", null)]
    [InlineData("""{"order_id":"qz-48213"}""", null)]
    [InlineData("""{"order_id":"QZ-48218"}""", "'status.order_id' is 'QZ-48218', which the request does not contain")]
    [InlineData("""{"order_id":"QZ-48213","note":"made up"}""", null)]
    [InlineData("""{"order_id":12.0}""", "'status.order_id' is '12', which the request does not contain")]
    [InlineData("not json", null)]
    public void Problem_NamesAGroundedFieldTheRequestDoesNotHold(string arguments, string? problem)
    {
        var request = Ask("Where is my order QZ-48213?");
        var calls = Call("status", arguments).ToolCalls;

        Assert.Equal(problem, AnswerGrounding.Problem(calls, null, request, ["status.order_id"]));
    }

    [Theory]
    [InlineData("Convert 91.4 kilograms to pounds", "91", false)]
    [InlineData("Convert 91.4 kilograms to pounds", "91.4", true)]
    [InlineData("Convert 91.40 kilograms", "91.4", true)]
    [InlineData("I have 12.0 miles to go.", "12", true)]
    [InlineData("It was 12.", "12", true)]
    [InlineData("version 1.91", "91", false)]
    [InlineData("Order AB12345", "12345", false)]
    [InlineData("Cool down to -5 degrees", "-5", true)]
    [InlineData("Cool down to -5 degrees", "5", false)]
    [InlineData("from 12kg", "12", true)]
    [InlineData("Weather in Parisian style", "Paris", false)]
    [InlineData("Weather in Paris, please", "paris", true)]
    [InlineData("Where is QZ-48213?", "QZ-48213", true)]
    [InlineData("Where is QZ-482134?", "QZ-48213", false)]
    [InlineData("Mail ana.silva@example.com today", "ana.silva@example.com", true)]
    public void Holds_FindsWholeValuesOnly(string text, string value, bool holds) =>
        Assert.Equal(holds, AnswerGrounding.Holds(text, value));

    [Fact]
    public void Problem_FindsNumbersAsWritten_AndLooksAtEveryMessage()
    {
        var request = Ask("Convert 12.5 miles");
        request.Messages!.Add(new ChatMessage { Role = "tool", ToolCallId = "call_1", Content = """{"rate": 1.609}""" });

        Assert.Null(AnswerGrounding.Problem(null, """{"value":12.50,"rate":1.609}""", request, ["content.value", "content.rate"]));
        Assert.NotNull(AnswerGrounding.Problem(null, """{"value":12.25}""", request, ["content.value"]));
        Assert.Null(AnswerGrounding.Problem(null, """{"value":12.25}""", request, []));
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

    private static ChatMessage Content(string json) => new() { Role = "assistant", Content = json };
}
