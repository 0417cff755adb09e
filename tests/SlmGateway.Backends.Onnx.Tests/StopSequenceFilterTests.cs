using SlmGateway.Backends.Onnx.Generation;

namespace SlmGateway.Backends.Onnx.Tests;

public sealed class StopSequenceFilterTests
{
    [Fact]
    public void StopSpanningTokens_CutsBeforeIt_AndNeverShowsItsStart()
    {
        var filter = new StopSequenceFilter(["END"]);
        var visible = new List<string>();

        foreach (var token in new[] { "ab", "cE", "N", "Dxyz" })
        {
            var (text, stopped) = filter.Push(token);
            visible.Add(text);
            if (stopped)
            {
                break;
            }
        }

        Assert.Equal(["ab", "c", "", ""], visible);
        Assert.Equal(string.Empty, filter.Flush());
    }

    [Fact]
    public void FalseStart_IsReleasedOnceItCannotBeAStop()
    {
        var filter = new StopSequenceFilter(["END"]);

        Assert.Equal(("x", false), filter.Push("xE"));
        Assert.Equal(("EN", false), filter.Push("NE"));
        Assert.Equal(("Eq", false), filter.Push("q"));
    }

    [Fact]
    public void EarliestOfSeveralStops_Wins()
    {
        var filter = new StopSequenceFilter(["world", "lo w"]);

        Assert.Equal(("hel", true), filter.Push("hello world"));
    }

    [Fact]
    public void HeldText_IsFlushedWhenGenerationEndsWithoutAStop()
    {
        var filter = new StopSequenceFilter(["###"]);

        Assert.Equal(("abc", false), filter.Push("abc##"));
        Assert.Equal("##", filter.Flush());
    }

    [Fact]
    public void NoStops_PassesTextThrough() => Assert.Equal(("any", false), new StopSequenceFilter([]).Push("any"));
}
