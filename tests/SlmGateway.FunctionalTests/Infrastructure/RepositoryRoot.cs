namespace SlmGateway.FunctionalTests.Infrastructure;

/// <summary>The checkout the tests run from: the first folder above the test assembly that holds SlmGateway.sln.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "SlmGateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No SlmGateway.sln above {AppContext.BaseDirectory}.");
    }
}
