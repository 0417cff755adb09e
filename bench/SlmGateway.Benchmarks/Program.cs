using SlmGateway.Benchmarks.Conversion;
using SlmGateway.Benchmarks.Local;
using SlmGateway.Benchmarks.Privacy;
using SlmGateway.Benchmarks.Proxy;
using SlmGateway.Benchmarks.Reliability;
using SlmGateway.Benchmarks.Routing;

// One executable, several roles: the benchmark driver, and the processes it measures.
return args.FirstOrDefault() switch
{
    "proxy" => await ProxyBenchmark.RunAsync(BenchmarkArguments.Parse(args[1..])),
    "proxy-ab" => await InterleavedComparison.RunAsync(args[1..]),
    "local" => await LocalBenchmark.RunAsync(LocalArguments.Parse(args[1..])),
    "router-eval" => RouterEvaluation.Run(args[1..]),
    "cluster-eval" => ClusterEvaluation.Run(args[1..]),
    "replay" => await Replay.RunAsync(args[1..]),
    "distill-replay" => await DistillationReplay.RunAsync(args[1..]),
    "bare-yarp" => await BareYarpProxy.RunAsync(args[1..]),
    "soak" => await SoakBenchmark.RunAsync(args[1..]),
    "fuzz" => await FuzzBenchmark.RunAsync(args[1..]),
    "redaction-eval" => RedactionEvaluation.Run(args[1..]),
    "capture-cost" => CaptureCost.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: SlmGateway.Benchmarks proxy [--connections 64] [--warmup-seconds 20] [--measure-seconds 10]
                                           [--repeats 3] [--sequential-requests 400] [--soak-minutes 0]
                                           [--targets direct,bare-yarp,yarp-read-body,yarp-read-chat,gateway,gateway-no-capture,gateway-no-local] [--gateway-dll publish/SlmGateway.dll]
               SlmGateway.Benchmarks proxy-ab --baseline-dll old/SlmGateway.dll [--baseline-env image|none] [--capture on|off]
                                              [--rounds 10] [--slice-seconds 4] [--warmup-seconds 20] [--connections 64] [--gateway-dll ...]
               SlmGateway.Benchmarks local [--tokens 128] [--repeats 3] [--threads 2] [--concurrency 1,2,4]
                                           [--model-dir /tmp/slmgw-bench/qwen2.5-0.5b]
               SlmGateway.Benchmarks router-eval [--data ../shared/data [--split held-back|training|all] | --labelled my-traffic.jsonl]
                                                 [--model router.json] [--threshold 0.5]
               SlmGateway.Benchmarks cluster-eval [--data ../shared/data] [--similarity 0.6,0.7,0.8]
               SlmGateway.Benchmarks replay [--data ../shared/data | --file calls.jsonl] [--limit N] [--model-dir models/tiny-random]
                                            [--shadow-rate 1] [--min-samples 5] [--max-output-tokens 64]
               SlmGateway.Benchmarks distill-replay [--observe 500] [--shadow 40] [--serve 100] [--steps 4000] [--python python3]
               SlmGateway.Benchmarks soak [--minutes 10] [--rate 185]
               SlmGateway.Benchmarks fuzz [--cases 50000] [--seed 1]
               SlmGateway.Benchmarks redaction-eval [--file labelled.jsonl]
               SlmGateway.Benchmarks capture-cost [--data ../shared/data] [--passes 9]
        """);
    return 2;
}
