using System.Globalization;
using System.Text.Json.Nodes;

namespace SlmGateway.Benchmarks.Conversion;

/// <summary>One agent call of the synthetic workload: its task, the request, and the answer a correct teacher gives.</summary>
internal sealed record AgentCall(string Task, JsonObject Request, JsonObject Answer);

/// <summary>
/// A synthetic agent that repeats four narrow tasks with varied wording and values: weather by city
/// and unit, order status by id, unit conversion, and extracting name, e-mail and date from a short
/// text into JSON. The answers are the correct ones, as a deterministic teacher would give them.
/// </summary>
internal static class AgentWorkload
{
    public static readonly string[] Tasks = ["weather", "order_status", "unit_conversion", "contact_extraction"];

    private static readonly string[] Cities =
    [
        "Paris", "London", "Tokyo", "Berlin", "Madrid", "Rome", "Oslo", "Lima", "Cairo", "Sydney", "Toronto", "Chicago", "Denver", "Austin",
        "Seattle", "Boston", "Dublin", "Vienna", "Prague", "Warsaw", "Lisbon", "Athens", "Helsinki", "Stockholm", "Nairobi", "Lagos", "Mumbai",
        "Delhi", "Seoul", "Manila", "Jakarta", "Bangkok", "Hanoi", "Santiago", "Bogota", "Quito", "Havana", "Miami", "Phoenix", "Dallas",
        "Houston", "Atlanta", "Montreal", "Vancouver", "Calgary", "Perth", "Auckland", "Zurich", "Geneva", "Munich", "Hamburg", "Milan",
        "Naples", "Porto", "Seville", "Krakow", "Riga", "Tallinn", "Vilnius", "Kyiv", "Ankara", "Tehran", "Dubai", "Doha", "Karachi",
        "Dhaka", "Kathmandu", "Colombo", "Chennai", "Kolkata", "Shanghai", "Beijing", "Osaka", "Kyoto", "Busan", "Taipei", "Singapore",
        "Brisbane", "Adelaide", "Wellington", "Honolulu", "Anchorage", "Portland", "Detroit", "Memphis", "Nashville", "Orlando", "Tampa",
        "Ottawa", "Quebec", "Halifax", "Winnipeg", "Edmonton", "Reykjavik", "Bergen", "Malmo", "Aarhus", "Gdansk", "Brno", "Graz",
        "Lyon", "Marseille", "Nice", "Bordeaux", "Toulouse", "Valencia", "Bilbao", "Florence", "Venice", "Turin", "Bologna", "Sofia",
        "Bucharest", "Belgrade", "Zagreb", "Ljubljana", "Skopje", "Tirana", "Tbilisi", "Yerevan", "Baku", "Almaty", "Tashkent", "Ulaanbaatar",
    ];

    private static readonly string[] WeatherAsks =
    [
        "What's the weather in {0} in {1}?", "weather {0} {1} please", "Tell me the current weather for {0}, in {1}.",
        "How hot is it in {0} right now? Use {1}.", "Is it cold in {0}? Answer in {1}.", "Current conditions in {0} ({1})",
        "I need the temperature in {0} in {1} degrees", "{0} weather, {1}",
    ];

    private static readonly string[] OrderAsks =
    [
        "Where is my order {0}?", "order status {0}", "Can you check order {0} for me?", "Has {0} shipped yet?",
        "What's the status of order number {0}?", "track {0} please", "I ordered something, id {0}. Any update?", "Status for {0}",
    ];

    private static readonly (string Word, string Code)[] Units =
    [
        ("miles", "mi"), ("kilometers", "km"), ("pounds", "lb"), ("kilograms", "kg"), ("feet", "ft"), ("meters", "m"),
        ("ounces", "oz"), ("grams", "g"), ("gallons", "gal"), ("liters", "l"), ("inches", "in"), ("centimeters", "cm"),
    ];

    private static readonly string[] ConversionAsks =
    [
        "Convert {0} {1} to {2}", "How many {2} is {0} {1}?", "{0} {1} in {2} please", "What is {0} {1} in {2}?",
        "I have {0} {1}. How much is that in {2}?", "convert {0} {1} into {2}",
    ];

    private static readonly string[] FirstNames = ["Ana", "Ben", "Chloe", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ivan", "Jia", "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yara", "Zane"];

    private static readonly string[] LastNames = ["Silva", "Novak", "Okafor", "Larsen", "Yilmaz", "Haddad", "Petrov", "Tanaka", "Kowalski", "Moreau", "Mensah", "Fischer", "Rossi", "Chen", "Gupta", "Ortiz", "Berg", "Dubois", "Ivanova", "Nakamura"];

    private static readonly string[] ContactTexts =
    [
        "Hi, this is {0}. Reach me at {1} about the meeting on {2}.",
        "From: {0} <{1}>. Can we talk on {2}?",
        "{0} here ({1}); the delivery is booked for {2}.",
        "Please add {0}, email {1}, to the list for the {2} event.",
    ];

    /// <summary><paramref name="perTask"/> calls of each task, interleaved as an agent fleet would send them.</summary>
    public static List<AgentCall> Generate(int perTask, int seed)
    {
        var random = new Random(seed);
        var calls = new List<AgentCall>();
        for (var i = 0; i < perTask; i++)
        {
            calls.Add(Weather(random));
            calls.Add(OrderStatus(random));
            calls.Add(UnitConversion(random));
            calls.Add(ContactExtraction(random));
        }

        return calls;
    }

    private static AgentCall Weather(Random random)
    {
        var (city, unit) = (Pick(random, Cities), random.Next(2) == 0 ? "celsius" : "fahrenheit");
        var tool = Tool("get_weather", "Current weather for a city", new JsonObject
        {
            ["city"] = new JsonObject { ["type"] = "string" },
            ["unit"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("celsius", "fahrenheit") },
        }, "city", "unit");
        return ToolTask("weather", "You are a travel assistant.", Format(Pick(random, WeatherAsks), city, unit), tool, "get_weather",
            new JsonObject { ["city"] = city, ["unit"] = unit });
    }

    private static AgentCall OrderStatus(Random random)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"{(char)('A' + random.Next(26))}{(char)('A' + random.Next(26))}-{random.Next(10000, 100000)}");
        var tool = Tool("get_order_status", "Shipping status of an order", new JsonObject { ["order_id"] = new JsonObject { ["type"] = "string" } }, "order_id");
        return ToolTask("order_status", "You are a shop's support assistant.", Format(Pick(random, OrderAsks), id), tool, "get_order_status",
            new JsonObject { ["order_id"] = id });
    }

    private static AgentCall UnitConversion(Random random)
    {
        var from = Pick(random, Units);
        var to = Pick(random, Units.Where(unit => unit != from).ToArray());
        var value = random.Next(3) == 0 ? Math.Round(random.Next(1, 10000) / 10.0, 1) : random.Next(1, 1000);
        var tool = Tool("convert_units", "Converts a quantity between units", new JsonObject
        {
            ["value"] = new JsonObject { ["type"] = "number" },
            ["from_unit"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(Units.Select(u => (JsonNode)u.Code).ToArray()) },
            ["to_unit"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(Units.Select(u => (JsonNode)u.Code).ToArray()) },
        }, "value", "from_unit", "to_unit");
        return ToolTask("unit_conversion", "You are a calculator assistant.", Format(Pick(random, ConversionAsks), value.ToString(CultureInfo.InvariantCulture), from.Word, to.Word),
            tool, "convert_units", new JsonObject { ["value"] = value, ["from_unit"] = from.Code, ["to_unit"] = to.Code });
    }

    private static AgentCall ContactExtraction(Random random)
    {
        var (first, last) = (Pick(random, FirstNames), Pick(random, LastNames));
        var email = $"{first.ToLowerInvariant()}.{last.ToLowerInvariant()}@example.com";
        var date = new DateOnly(2026, 1, 1).AddDays(random.Next(365)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["name"] = new JsonObject { ["type"] = "string" },
                ["email"] = new JsonObject { ["type"] = "string" },
                ["date"] = new JsonObject { ["type"] = "string" },
            },
            ["required"] = new JsonArray("name", "email", "date"),
            ["additionalProperties"] = false,
        };
        var request = Request($"Extract the contact as JSON matching this schema: {schema.ToJsonString()}", Format(Pick(random, ContactTexts), $"{first} {last}", email, date));
        request["response_format"] = new JsonObject { ["type"] = "json_object" };
        var content = new JsonObject { ["name"] = $"{first} {last}", ["email"] = email, ["date"] = date }.ToJsonString();
        return new AgentCall("contact_extraction", request, new JsonObject { ["role"] = "assistant", ["content"] = content });
    }

    private static AgentCall ToolTask(string task, string system, string ask, JsonObject tool, string name, JsonObject arguments)
    {
        var request = Request(system, ask);
        request["tools"] = new JsonArray(tool);
        var call = new JsonObject
        {
            ["id"] = "call_teacher",
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = name, ["arguments"] = arguments.ToJsonString() },
        };
        return new AgentCall(task, request, new JsonObject { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = new JsonArray(call) });
    }

    private static JsonObject Request(string system, string user) => new()
    {
        ["model"] = "auto",
        ["temperature"] = 0,
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "system", ["content"] = system },
            new JsonObject { ["role"] = "user", ["content"] = user }),
    };

    private static JsonObject Tool(string name, string description, JsonObject properties, params string[] required) => new()
    {
        ["type"] = "function",
        ["function"] = new JsonObject
        {
            ["name"] = name,
            ["description"] = description,
            ["parameters"] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = properties,
                ["required"] = new JsonArray(required.Select(r => (JsonNode)r).ToArray()),
            },
        },
    };

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static string Format(string template, params object[] values) => string.Format(CultureInfo.InvariantCulture, template, values);
}
