namespace SlmGateway.Distill;

/// <summary><c>slmgw-distill run --job job.json</c>: trains a task specialist from exported calls into a GenAI model folder.</summary>
internal static class DistillCommand
{
    public static int Main(string[] args)
    {
        if (args is not ["run", "--job", var jobPath])
        {
            Console.Error.WriteLine("usage: slmgw-distill run --job <job.json>");
            return 2;
        }

        try
        {
            var job = DistillJob.Read(jobPath);
            return SpecialistDistiller.Run(job, new ProgressWriter(Console.Out));
        }
        catch (Exception ex)
        {
            // The job's boundary: whatever stops it (a bad spec, the engine, GenAI) is one "failed" line for the gateway.
            new ProgressWriter(Console.Out).Failed(ex.Message);
            return 1;
        }
    }
}
