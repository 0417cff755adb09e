using SlmGateway.Benchmarks.Proxy;

// One executable, several roles: the benchmark driver, and the processes it measures.
return args.FirstOrDefault() switch
{
    "proxy" => await ProxyBenchmark.RunAsync(BenchmarkArguments.Parse(args[1..])),
    "bare-yarp" => await BareYarpProxy.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: SlmGateway.Benchmarks proxy [--connections 64] [--warmup-seconds 45] [--measure-seconds 10]
                                           [--repeats 3] [--sequential-requests 400] [--soak-minutes 0]
                                           [--targets direct,bare-yarp,gateway]
        """);
    return 2;
}
