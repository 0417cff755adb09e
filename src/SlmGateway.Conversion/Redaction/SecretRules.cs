using System.Text.RegularExpressions;

namespace SlmGateway.Conversion.Redaction;

/// <summary>
/// The secret detectors redaction runs, each with its source: provider key formats as their issuers
/// document them, structural secrets (private key blocks, passwords in URLs and connection strings),
/// AWS secret keys found next to their key id or name, and a generic rule for high-entropy tokens
/// next to words such as key, secret, token or password. Each rule replaces only the secret itself,
/// so the text around it (a user name, a host) stays readable.
/// </summary>
internal static partial class SecretRules
{
    /// <summary>
    /// One detector: what it finds, and which group of the match is the secret (0: all of it);
    /// <paramref name="Needs"/>, text every match contains, lets a text without it skip the pattern,
    /// whose engine would otherwise try it at every word.
    /// </summary>
    public sealed record Rule(string Name, Regex Pattern, int Group = 0, Func<string, bool>? Check = null, string? Needs = null)
    {
        public bool CanMatch(string text) => Needs is null || text.Contains(Needs, StringComparison.Ordinal);
    }

    private const double MinimumEntropy = 3.0;

    public static readonly Rule[] All =
    [
        new("private-key-block", PrivateKeyBlock()),
        new("url-password", UrlPassword(), Group: 2, Needs: "://"),
        new("connection-string-password", ConnectionStringPassword(), Group: 2, Needs: "="),
        new("aws-secret-access-key", AwsSecretNearItsName(), Group: 2, Check: HighEntropy),
        new("aws-access-key-id", AwsAccessKeyId()),
        new("provider-api-key", ProviderKey()),
        new("jwt", Jwt()),
        new("bearer-token", BearerToken(), Group: 2),
        new("key-value-credential", KeyValueCredential(), Group: 2, Check: NotAPlaceholder),
        new("token-next-to-keyword", TokenNextToKeyword(), Group: 2, Check: LooksGenerated),
    ];

    /// <summary>Shannon entropy in bits per character.</summary>
    public static double Entropy(string text)
    {
        Span<int> counts = stackalloc int[128];
        var total = 0;
        foreach (var c in text)
        {
            if (c < 128)
            {
                counts[c]++;
                total++;
            }
        }

        var entropy = 0.0;
        foreach (var count in counts)
        {
            if (count > 0)
            {
                var p = (double)count / total;
                entropy -= p * Math.Log2(p);
            }
        }

        return entropy;
    }

    private static bool HighEntropy(string token) => Entropy(token) >= MinimumEntropy;

    private static bool NotAPlaceholder(string value) =>
        !value.All(c => c is '*' or 'x' or 'X' or '.') && !value.StartsWith('[') && !value.StartsWith('$') && !value.StartsWith('<');

    /// <summary>A random-looking token: letters and digits mixed, high entropy, and not a UUID.</summary>
    private static bool LooksGenerated(string token) =>
        token.Any(char.IsAsciiLetter) && token.Any(char.IsAsciiDigit) && HighEntropy(token) && !Uuid().IsMatch(token);

    // PEM (RFC 7468) and OpenSSH private key blocks.
    [GeneratedRegex(@"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex PrivateKeyBlock();

    // RFC 3986 userinfo: scheme://user:password@host.
    [GeneratedRegex(@"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@""']*:)([^\s@/""']+)(?=@)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex UrlPassword();

    // ADO.NET, Npgsql, JDBC and ODBC connection strings: Password=...; Pwd=...; AccountKey=...; SharedAccessKey=...
    [GeneratedRegex(@"(?i)(\b(?:password|pwd|accountkey|sharedaccesskey)\s*=\s*)([^;""'\s]+)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ConnectionStringPassword();

    // AWS access key ids (AKIA long-term, ASIA temporary, ABIA/ACCA service), per AWS IAM documentation.
    [GeneratedRegex(@"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex AwsAccessKeyId();

    // A 40-character AWS secret access key within a short distance after its name or its key id.
    [GeneratedRegex(@"(?i)((?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b)(?:[\s:=""',;]{1,4}|[\s:=""',;]{1,4}\S{0,40}?[\s:=""',;]{1,4}))([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex AwsSecretNearItsName();

    // OpenAI (sk-, sk-proj-, sk-svcacct-, sk-admin-), Anthropic (sk-ant-), Stripe (sk_/rk_ live/test), GitHub (ghp_, gho_, ghu_,
    // ghs_, ghr_, github_pat_), GitLab (glpat-), Slack (xox?-, webhooks), Google (AIza), Hugging Face (hf_), npm (npm_), PyPI,
    // SendGrid (SG.), Twilio (SK + 32 hex), Mailgun (key-), DigitalOcean (dop_v1_), Shopify (shpat_ ...), Groq (gsk_), xAI (xai-).
    [GeneratedRegex(@"\b(?:sk-(?:proj-|svcacct-|admin-|ant-(?:api|admin)\d{2}-)?[A-Za-z0-9_\-]{20,}|[rs]k_(?:live|test)_[A-Za-z0-9]{16,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_\-]{20,}|xox[abposr]-[A-Za-z0-9\-]{10,}|hooks\.slack\.com/services/[A-Za-z0-9/]{20,}|AIza[0-9A-Za-z_\-]{35}|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{36}|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}|SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}|SK[0-9a-fA-F]{32}|key-[0-9a-zA-Z]{32}|dop_v1_[a-f0-9]{64}|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}|gsk_[A-Za-z0-9]{40,}|xai-[A-Za-z0-9]{60,})\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ProviderKey();

    // JSON Web Tokens (RFC 7519): header.payload.signature, the header starting with {"  (eyJ).
    [GeneratedRegex(@"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Jwt();

    // RFC 6750 bearer tokens.
    [GeneratedRegex(@"(?i)(\bbearer\s+)([A-Za-z0-9\-._~+/]{8,}=*)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex BearerToken();

    // key=value and key: value credentials in configuration, logs and code.
    [GeneratedRegex(@"(?i)(\b(?:api[_-]?key|apikey|secret(?:[_-]?key)?|password|passwd|pwd|token|access[_-]?token|refresh[_-]?token|access[_-]?key|client[_-]?secret|private[_-]?key|auth[_-]?token)[""']?\s*[:=]\s*[""']?)([^\s""',;}]{6,})", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex KeyValueCredential();

    // Prose such as "my API key is 8f3kQ2...": a random-looking token of 20+ characters a few words after such a word.
    [GeneratedRegex(@"(?i)(\b(?:api[ _-]?key|secret|token|password|passphrase|credentials?)\b(?:\W+\w+){0,3}?\W+)([A-Za-z0-9+/_\-]{20,}={0,2})(?![A-Za-z0-9+/_\-])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex TokenNextToKeyword();

    [GeneratedRegex(@"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Uuid();
}
