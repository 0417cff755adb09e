using System.Globalization;

namespace SlmGateway.Conversion.Tests;

/// <summary>Threads' scheduling policies and names, read from <c>/proc</c>.</summary>
internal static class ThreadPolicy
{
    public const int Other = 0;
    public const int Idle = 5;

    public static int OfThisThread() => Of("/proc/thread-self");

    /// <summary>The threads of this process, by their folder under <c>/proc/self/task</c>.</summary>
    public static IReadOnlySet<string> Threads() => Directory.GetDirectories("/proc/self/task").ToHashSet();

    /// <summary>The policy of a thread: field 41 of its <c>stat</c>.</summary>
    public static int Of(string thread)
    {
        var stat = File.ReadAllText(Path.Combine(thread, "stat"));
        var afterName = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(afterName[41 - 3], CultureInfo.InvariantCulture);
    }

    /// <summary>A thread's name, which a native thread inherits from the thread that started it.</summary>
    public static string NameOf(string thread) => File.ReadAllText(Path.Combine(thread, "comm")).Trim();
}
