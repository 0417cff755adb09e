namespace SlmGateway.Core.Configuration;

/// <summary>Client keys, bound from <c>SlmGateway:Auth</c>. With no keys configured the gateway is open.</summary>
public sealed class AuthOptions
{
    public const string Section = "SlmGateway:Auth";

    public List<ClientKeyOptions> Keys { get; set; } = [];

    /// <summary>Keys for the admin API (<c>/admin</c>); with none the admin API answers 403. Their rate limits are not used.</summary>
    public List<ClientKeyOptions> AdminKeys { get; set; } = [];
}

public sealed class ClientKeyOptions
{
    /// <summary>A name for the key that appears in logs and metrics instead of the key.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>Lower-case hex SHA-256 of the key (<c>printf %s "$KEY" | sha256sum</c>); the key itself is never stored.</summary>
    public string Sha256 { get; set; } = string.Empty;

    /// <summary>Requests a minute this key may make; 0 means no limit.</summary>
    public int RequestsPerMinute { get; set; }

    /// <summary>Tokens (prompt and answer) a minute this key may use; a request is refused once the minute's count has reached it. 0: no limit.</summary>
    public long TokensPerMinute { get; set; }

    /// <summary>USD this key may spend on remote models in a UTC day (from <c>Routing:Prices</c>); 0: no budget.</summary>
    public double DailyBudgetUsd { get; set; }

    /// <summary>USD this key may spend on remote models in a UTC calendar month; 0: no budget.</summary>
    public double MonthlyBudgetUsd { get; set; }

    public bool HasLimits => RequestsPerMinute > 0 || TokensPerMinute > 0 || DailyBudgetUsd > 0 || MonthlyBudgetUsd > 0;

    /// <summary>Whether this key's captured calls may go into fine-tuning exports.</summary>
    public bool AllowTraining { get; set; } = true;
}
