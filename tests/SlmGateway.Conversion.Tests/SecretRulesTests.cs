using SlmGateway.Conversion.Redaction;

namespace SlmGateway.Conversion.Tests;

/// <summary>Every secret rule with what it must find (the secret it reports) and what it must leave alone.</summary>
public sealed class SecretRulesTests
{
    public static TheoryData<string, string, string?> Examples => new()
    {
        { "private-key-block", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----" },
        { "private-key-block", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOC\n-----END PUBLIC KEY-----", null },
        { "url-password", "amqp://guest:Gu3st-Pa55@mq:5672/", "Gu3st-Pa55" },
        { "url-password", "see https://example.com/docs@v2 and https://user@host/path", null },
        { "connection-string-password", "Host=db;Username=app;Password=N0t-S0-S3cret;", "N0t-S0-S3cret" },
        { "connection-string-password", "Host=db;Username=app;Port=5432;", null },
        { "aws-secret-access-key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
        { "aws-secret-access-key", "sha1 of the file: 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12 ok", null },
        { "aws-access-key-id", "id ASIAY34FZKBOKMUTVV7A today", "ASIAY34FZKBOKMUTVV7A" },
        { "aws-access-key-id", "AKIA is a prefix, AKIA123 too short", null },
        { "provider-api-key", "key sk-proj-Abc123Def456Ghi789Jkl012Mno345 set", "sk-proj-Abc123Def456Ghi789Jkl012Mno345" },
        { "provider-api-key", "glpat-xY9zW8vU7tS6rQ5pO4nM", "glpat-xY9zW8vU7tS6rQ5pO4nM" },
        { "provider-api-key", "SG.aBcDeFgHiJkLmNoPqRsTuV.aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789aBcDeFg", "SG.aBcDeFgHiJkLmNoPqRsTuV.aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789aBcDeFg" },
        { "provider-api-key", "the sk-learn library and task-runner skill", null },
        { "jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX2hlcmU", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX2hlcmU" },
        { "jwt", "version 1.2.3 and file.name.ext", null },
        { "bearer-token", "Authorization: Bearer abcdefghijklmnop.qrstuvwxyz", "abcdefghijklmnop.qrstuvwxyz" },
        { "bearer-token", "the bearer of good news", null },
        { "key-value-credential", "client_secret: 'q8Wm2Zr7Kp'", "q8Wm2Zr7Kp" },
        { "key-value-credential", "password: ******** and token=<your-token>", null },
        { "token-next-to-keyword", "the access token is Zx8kQ2mP9vR4tL7nB3wY6cF1 now", "Zx8kQ2mP9vR4tL7nB3wY6cF1" },
        { "token-next-to-keyword", "the token budget is 4096 and the secret ingredient is basil", null },
        { "token-next-to-keyword", "request token 3fa85f64-5717-4562-b3fc-2c963f66afa6", null },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void EachRule_FindsItsSecret_AndLeavesOrdinaryTextAlone(string rule, string text, string? secret)
    {
        var detector = Assert.Single(SecretRules.All, r => r.Name == rule);

        var found = detector.Pattern.Matches(text)
            .Select(match => match.Groups[detector.Group].Value)
            .Where(value => detector.Check?.Invoke(value) ?? true)
            .ToList();

        if (secret is null)
        {
            Assert.Empty(found);
        }
        else
        {
            Assert.Equal(secret, Assert.Single(found));
        }
    }

    [Fact]
    public void EveryRule_HasExamples() =>
        Assert.All(SecretRules.All, rule => Assert.Contains(Examples, example => (string)example[0] == rule.Name));
}
