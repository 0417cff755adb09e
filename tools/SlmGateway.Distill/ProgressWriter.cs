using System.Text.Json.Nodes;

namespace SlmGateway.Distill;

/// <summary>The job's progress as JSON Lines on stdout, one object per event, each with its <c>stage</c>.</summary>
internal sealed class ProgressWriter(TextWriter output)
{
    public void Stage(string stage, JsonObject? fields = null)
    {
        var line = fields ?? [];
        line["stage"] = stage;
        Write(line);
    }

    public void Failed(string error) => Write(new JsonObject { ["stage"] = "failed", ["error"] = error });

    private void Write(JsonObject line)
    {
        lock (output)
        {
            output.WriteLine(line.ToJsonString());
            output.Flush();
        }
    }
}
