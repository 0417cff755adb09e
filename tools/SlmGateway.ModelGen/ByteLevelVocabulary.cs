namespace SlmGateway.ModelGen;

/// <summary>
/// A byte-level vocabulary: ids 0-255 are the bytes (spelled with GPT-2's byte-to-character map, as
/// byte-level BPE tokenizers store them), three ChatML special tokens, and, for real-shape models,
/// filler tokens up to the model's vocabulary size so that tokenizer and embedding agree.
/// </summary>
internal sealed class ByteLevelVocabulary
{
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";
    private static readonly char[] ByteChars = BuildByteChars();

    public ByteLevelVocabulary(int size)
    {
        const int specialCount = 3;
        Size = size;
        // Tiny vocabularies put the specials right after the bytes; large ones where Qwen2.5 has them.
        var firstSpecial = size == 256 + specialCount ? 256 : 151643;
        if (firstSpecial + specialCount > size)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"A vocabulary of {size} cannot hold the bytes and the special tokens.");
        }

        Specials = new Dictionary<string, int>
        {
            [EndOfText] = firstSpecial,
            [ImStart] = firstSpecial + 1,
            [ImEnd] = firstSpecial + 2,
        };
    }

    public int Size { get; }

    public IReadOnlyDictionary<string, int> Specials { get; }

    /// <summary>The regular (non-special) tokens and their ids, bytes first.</summary>
    public IEnumerable<(string Token, int Id)> RegularTokens()
    {
        for (var b = 0; b < 256; b++)
        {
            yield return (ByteChars[b].ToString(), b);
        }

        var specialIds = Specials.Values.ToHashSet();
        var filler = 0;
        for (var id = 256; id < Size; id++)
        {
            if (!specialIds.Contains(id))
            {
                yield return (FillerToken(filler++), id);
            }
        }
    }

    /// <summary>The ids that random output is steered to: printable ASCII and newline.</summary>
    public IReadOnlySet<int> ReadableTokenIds() => Enumerable.Range(0x20, 0x7F - 0x20).Append('\n').ToHashSet();

    /// <summary>Three byte characters, never a single byte, so fillers are unique and distinct from the byte tokens.</summary>
    private static string FillerToken(int index) =>
        string.Concat(ByteChars[(index >> 16) & 0xFF], ByteChars[(index >> 8) & 0xFF], ByteChars[index & 0xFF]);

    private static char[] BuildByteChars()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }

        return map;
    }
}
