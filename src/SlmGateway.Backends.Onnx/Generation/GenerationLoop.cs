using System.Threading.Channels;
using Microsoft.ML.OnnxRuntimeGenAI;
using SlmGateway.Backends.Onnx.Models;
using SlmGateway.Contracts.Chat;

namespace SlmGateway.Backends.Onnx.Generation;

/// <summary>
/// Runs one generation on one of the model's generation threads (each step is a blocking native call) and reports tokens
/// through a channel. It holds the model's generation slot until it ends, and ends promptly when
/// the request is cancelled, so a client that leaves frees its slot.
/// </summary>
internal static class GenerationLoop
{
    public static ChannelReader<GenerationEvent> Start(LocalModel model, GenerationPlan plan, IDisposable slot, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        model.Threads.Run(
            () =>
            {
                Exception? failure = null;
                var started = TimeProvider.System.GetTimestamp();
                try
                {
                    Run(model, plan, channel.Writer, cancellationToken);
                }
                catch (Exception ex)
                {
                    failure = ex;
                }
                finally
                {
                    model.Counters.Ended(failure, TimeProvider.System.GetElapsedTime(started));
                    slot.Dispose();
                }

                // Completed only after the slot is free, so whoever sees the end can take the slot at once.
                channel.Writer.TryComplete(failure);
            });
        return channel.Reader;
    }

    /// <summary>Reads a generation to its end: the whole text, the token log-probabilities when kept, and how it finished.</summary>
    public static async Task<(string Text, List<TokenLogprob>? Logprobs, GenerationFinished Finished)> CollectAsync(
        ChannelReader<GenerationEvent> events, bool keepLogprobs)
    {
        var text = new System.Text.StringBuilder();
        var logprobs = keepLogprobs ? new List<TokenLogprob>() : null;
        await foreach (var item in events.ReadAllAsync())
        {
            switch (item)
            {
                case TokenGenerated token:
                    text.Append(token.Text);
                    if (token.Logprob is { } lp)
                    {
                        logprobs?.Add(lp);
                    }

                    break;
                case GenerationFinished finished:
                    return (text.ToString(), logprobs, finished);
            }
        }

        throw new ChannelClosedException("The generation ended without finishing.");
    }

    private static void Run(LocalModel model, GenerationPlan plan, ChannelWriter<GenerationEvent> output, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var (firstToken, lastToken) = (0d, 0d);
        using var parameters = CreateParameters(model, plan);
        using var generator = new Generator(model.Model, parameters);
        if (plan.Adapter is { } adapter && model.Adapters is { } adapters)
        {
            generator.SetActiveAdapter(adapters, adapter);
        }

        generator.AppendTokens(plan.PromptTokens);
        using var decoder = model.Tokenizer.CreateStream();
        var stop = new StopSequenceFilter(plan.Stop);
        var logits = plan.ReadsLogits ? new LogitsReader(model.Tokenizer, model.Folder.VocabSize) : null;
        var (sum, min, count, measured) = (0d, 0d, 0, 0);
        var finishReason = "length";
        var budget = model.Options.MaxGenerationTime;
        while (count < plan.MaxNewTokens && TimeProvider.System.GetElapsedTime(started) < budget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (generator.IsDone())
            {
                finishReason = "stop";
                break;
            }

            generator.GenerateNextToken();
            var token = generator.GetNextTokens()[0];
            if (model.EndOfSequence.Contains(token))
            {
                finishReason = "stop";
                break;
            }

            count++;
            lastToken = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
            firstToken = count == 1 ? lastToken : firstToken;
            TokenLogprob? described = null;
            if (logits is not null && (count > 1 || plan.TopLogprobs is not null))
            {
                var (logprob, top) = logits.Read(generator, token, plan.TopLogprobs);
                (sum, min) = (sum + logprob, measured++ == 0 ? logprob : Math.Min(min, logprob));
                described = plan.TopLogprobs is null ? null : logits.Describe(token, logprob, top);
            }

            var (visible, stopped) = stop.Push(decoder.Decode(token));
            output.TryWrite(new TokenGenerated(visible, described));
            if (stopped)
            {
                finishReason = "stop";
                break;
            }
        }

        var held = stop.Flush();
        if (held.Length > 0)
        {
            output.TryWrite(new TokenGenerated(held, null));
        }

        var confidence = plan.MeasureConfidence && measured > 0 ? new Confidence(sum / measured, min) : null;
        output.TryWrite(new GenerationFinished(finishReason, count, confidence) { FirstTokenSeconds = firstToken, LastTokenSeconds = lastToken });
    }

    private static GeneratorParams CreateParameters(LocalModel model, GenerationPlan plan)
    {
        var parameters = new GeneratorParams(model.Model);
        try
        {
            parameters.SetSearchOption("max_length", plan.PromptTokens.Length + plan.MaxNewTokens);
            if (plan.Temperature > 0)
            {
                parameters.SetSearchOption("do_sample", true);
                parameters.SetSearchOption("temperature", plan.Temperature);
                parameters.SetSearchOption("top_p", plan.TopP);
                parameters.SetSearchOption("random_seed", plan.Seed is { } seed ? seed & int.MaxValue : Random.Shared.Next());
            }
            else
            {
                parameters.SetSearchOption("do_sample", false);
            }

            if (plan.Guidance is { } guidance)
            {
                parameters.SetGuidance(guidance.Type, guidance.Data, false);
            }

            return parameters;
        }
        catch
        {
            parameters.Dispose();
            throw;
        }
    }
}
