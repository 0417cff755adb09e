namespace SlmGateway.Routing.Classification;

/// <summary>
/// The part of an ask that is embedded: all of a short one; of a long one its start (where the task
/// is usually stated) and its end (where the actual question often follows pasted material), so that
/// the embedding's cost does not grow with the prompt.
/// </summary>
internal static class AskText
{
    public const int HeadChars = 360;
    public const int TailChars = 160;

    public static string ForEmbedding(string ask) =>
        ask.Length <= HeadChars + TailChars ? ask : string.Concat(ask.AsSpan(0, HeadChars), " … ", ask.AsSpan(ask.Length - TailChars));
}
