using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using SlmGateway.Conversion.Redaction;

namespace SlmGateway.Conversion.Tests;

/// <summary>Tricky inputs: every listed kind is removed, ordinary numbers and identifiers are left alone.</summary>
public sealed class RedactionTests
{
    private readonly PiiRedactor _redactor = new(Options.Create(new LoopOptions
    {
        Redaction = new RedactionOptions { Patterns = { ["employee_id"] = @"\bEMP-\d{6}\b" } },
    }));

    [Theory]
    [InlineData("mail me at john.smith+billing@mail.example.co.uk today", "mail me at [EMAIL] today")]
    [InlineData("CC: A.B_c-d@sub-domain.example.io.", "CC: [EMAIL].")]
    [InlineData("call +1 415 555 0100 or +44 20 7946 0958", "call [PHONE] or [PHONE]")]
    [InlineData("office (415) 555-0100, cell 415.555.0199, fax 415-555-0111", "office [PHONE], cell [PHONE], fax [PHONE]")]
    [InlineData("card 4111 1111 1111 1111 exp 12/29", "card [CARD] exp 12/29")]
    [InlineData("amex 378282246310005; mc 5555-5555-5555-4444", "amex [CARD]; mc [CARD]")]
    [InlineData("pay to DE89 3704 0044 0532 0130 00 now", "pay to [IBAN] now")]
    [InlineData("IBAN GB82WEST12345698765432.", "IBAN [IBAN].")]
    [InlineData("from 10.0.0.254 and 2001:db8::8a2e:370:7334", "from [IP] and [IP]")]
    [InlineData("loopback ::1 and fe80::1ff:fe23:4567:890a", "loopback [IP] and [IP]")]
    [InlineData("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX2hlcmU", "Authorization: Bearer [SECRET]")]
    [InlineData("use sk-proj-abcdefghijklmnopqrstuvwx1234 or AKIAIOSFODNN7EXAMPLE", "use [SECRET] or [SECRET]")]
    [InlineData("token ghp_0123456789abcdefghijABCDEFGHIJ0123456789 leaked", "token [SECRET] leaked")]
    [InlineData("password=hunter2hunter2; api_key: 'abc123def456'", "password=[SECRET]; api_key: '[SECRET]'")]
    [InlineData("badge EMP-004211 at the door", "badge [EMPLOYEE_ID] at the door")]
    [InlineData("Büro Berlin: 030/12345678, Handy 0151 23456789", "Büro Berlin: [PHONE], Handy [PHONE]")]
    [InlineData("携帯 090-1234-5678 まで / Tokyo office 03-1234-5678", "携帯 [PHONE] まで / Tokyo office [PHONE]")]
    [InlineData("appelez le 01 42 68 53 00 ou le 06 12 34 56 78", "appelez le [PHONE] ou le [PHONE]")]
    [InlineData("ring 020 7946 0958 or 07700 900123", "ring [PHONE] or [PHONE]")]
    [InlineData("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_ACCESS_KEY_ID=[SECRET] AWS_SECRET_ACCESS_KEY=[SECRET]")]
    [InlineData("keys: AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "keys: [SECRET] [SECRET]")]
    [InlineData("db postgres://app:s3cr3t-Pa55@db.internal:5432/orders", "db postgres://app:[SECRET]@db.internal:5432/orders")]
    [InlineData("Server=sql1;Database=shop;User Id=app;Pwd=Tr0ub4dor&3;", "Server=sql1;Database=shop;User Id=app;Pwd=[SECRET];")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\n-----END RSA PRIVATE KEY----- done", "[SECRET] done")]
    [InlineData("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc and hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "stripe [SECRET] and [SECRET]")]
    [InlineData("my api key is Zx8kQ2mP9vR4tL7nB3wY6cF1 thanks", "my api key is [SECRET] thanks")]
    public void ListedKinds_AreReplacedByTheirKind(string input, string expected) =>
        Assert.Equal(expected, _redactor.Redact(input));

    [Theory]
    [InlineData("order 1732838400000 shipped")]
    [InlineData("invoice INV-2024-000123, amount 1299.50 EUR, qty 3")]
    [InlineData("version 1.2.3 of libfoo, build 20241128")]
    [InlineData("tracking 1Z999AA10123456784 and SKU 978-3-16-148410-0")]
    [InlineData("call get_weather(city='Paris') at 12:30:45 on 2024-11-28")]
    [InlineData("uuid 123e4567-e89b-12d3-a456-426614174000")]
    [InlineData("std::vector<int> and a::b::c in C++")]
    [InlineData("the numbers 1234567890123 and 9999999999999999 are ids")]
    [InlineData("ratio 3:2:1 and coordinates 48.8566, 2.3522")]
    [InlineData("hash 5d41402abc4b2a76b9719d911017c592")]
    [InlineData("sha256 of the file: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("request id 3fa85f64-5717-4562-b3fc-2c963f66afa6 and token count 2048")]
    [InlineData("shipped on 2024-11-28, order 20241128, build 2024.11.28, at 14:05")]
    [InlineData("the password policy needs 12 characters")]
    public void OrdinaryNumbersAndIdentifiers_AreLeftAlone(string input) =>
        Assert.Equal(input, _redactor.Redact(input));

    /// <summary>The development file of <c>redaction-eval</c> (bench/SlmGateway.Benchmarks/Privacy): no secret survives, every ordinary value does.</summary>
    [Fact]
    public void DevelopmentFile_HasNoLeakAndNoLoss()
    {
        var redactor = new PiiRedactor(Options.Create(new LoopOptions()));
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Privacy", "redaction-dev.jsonl")))
        {
            var labelled = JsonNode.Parse(line)!;
            var redacted = redactor.Redact((string)labelled["text"]!);
            Assert.All(labelled["secrets"]!.AsArray(), secret => Assert.DoesNotContain((string)secret!, redacted, StringComparison.Ordinal));
            Assert.All(labelled["keep"]!.AsArray(), keep => Assert.Contains((string)keep!, redacted, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void LuhnInvalidCardLikeNumber_IsLeftAlone() =>
        Assert.Equal("4111 1111 1111 1112", _redactor.Redact("4111 1111 1111 1112"));

    [Fact]
    public void JsonTree_StringsAndEmbeddedJsonAreRedacted_StructureAndNumbersKept()
    {
        var json = JsonNode.Parse("""
            {"messages":[{"role":"user","content":[{"type":"text","text":"mail bob@example.com"}]},
              {"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"pay","arguments":"{\"card\":4111111111111111,\"email\":\"bob@example.com\",\"amount\":42.5}"}}]}],
             "max_tokens":1732838400000}
            """);

        var redacted = _redactor.Redact(json)!;

        Assert.Equal("mail [EMAIL]", redacted["messages"]![0]!["content"]![0]!["text"]!.GetValue<string>());
        var arguments = JsonNode.Parse(redacted["messages"]![1]!["tool_calls"]![0]!["function"]!["arguments"]!.GetValue<string>())!;
        Assert.Equal(("[CARD]", "[EMAIL]", 42.5), (arguments["card"]!.GetValue<string>(), arguments["email"]!.GetValue<string>(), arguments["amount"]!.GetValue<double>()));
        Assert.Equal(1732838400000, redacted["max_tokens"]!.GetValue<long>());
        Assert.Equal("pay", redacted["messages"]![1]!["tool_calls"]![0]!["function"]!["name"]!.GetValue<string>());
    }
}
