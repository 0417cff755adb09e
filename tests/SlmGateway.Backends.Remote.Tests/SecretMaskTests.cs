using System.Text;
using SlmGateway.Backends.Remote.Forwarding;

namespace SlmGateway.Backends.Remote.Tests;

public sealed class SecretMaskTests
{
    private const string Key = "sk-test-0123456789abcdefABCDEF";

    [Fact]
    public void Mask_HidesEveryOccurrence_KeepingTheLength()
    {
        var mask = new SecretMask([Key, "short", null]);
        var body = Encoding.UTF8.GetBytes("{\"error\":{\"message\":\"bad key Bearer " + Key + " (twice: " + Key + "), short stays\"}}");

        mask.Mask(body);

        var text = Encoding.UTF8.GetString(body);
        Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
        Assert.Contains("Bearer " + new string('*', Key.Length), text, StringComparison.Ordinal);
        Assert.Contains("short stays", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_MasksAKeySplitAcrossWrites_AndHoldsNothingOtherwise()
    {
        var mask = new SecretMask([Key]);
        using var sink = new MemoryStream();
        await using var stream = new SecretMaskStream(sink, mask);
        var body = Encoding.UTF8.GetBytes($"data: echo {Key} done\n\n");

        for (var offset = 0; offset < body.Length; offset += 5)
        {
            await stream.WriteAsync(body.AsMemory(offset, Math.Min(5, body.Length - offset)));
        }

        Assert.Equal($"data: echo {new string('*', Key.Length)} done\n\n", Encoding.UTF8.GetString(sink.ToArray()));
        await stream.WriteAsync(Encoding.UTF8.GetBytes("data: s"));
        Assert.EndsWith("data: ", Encoding.UTF8.GetString(sink.ToArray()), StringComparison.Ordinal);
        await stream.CompleteAsync();
        Assert.EndsWith("data: s", Encoding.UTF8.GetString(sink.ToArray()), StringComparison.Ordinal);
    }
}
