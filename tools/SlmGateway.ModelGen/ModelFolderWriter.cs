using System.Text.Json;
using System.Text.Json.Nodes;
using SlmGateway.ModelGen.Onnx;

namespace SlmGateway.ModelGen;

/// <summary>Writes a complete GenAI model folder: <c>model.onnx</c>, <c>genai_config.json</c>, <c>tokenizer.json</c>, <c>tokenizer_config.json</c>.</summary>
internal static class ModelFolderWriter
{
    public const string ModelFile = "model.onnx";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>A random-weight model (a fixture) with the ChatML template that renders tools.</summary>
    public static void Write(DecoderShape shape, int seed, string folder)
    {
        var vocabulary = new ByteLevelVocabulary(shape.VocabSize);
        Write(shape, new RandomWeights(shape.VocabSize, seed, vocabulary.ReadableTokenIds()), folder, ChatMlTemplate.Text, $"slmgw-modelgen {shape.Preset} seed {seed}");
    }

    /// <summary>A model with the given weights and chat template; <paramref name="producer"/> is recorded in the ONNX file.</summary>
    public static void Write(DecoderShape shape, DecoderWeights weights, string folder, string chatTemplate, string producer)
    {
        Directory.CreateDirectory(folder);
        var vocabulary = new ByteLevelVocabulary(shape.VocabSize);
        var graph = new DecoderGraph(shape, weights).Build();
        using (var stream = new FileStream(Path.Combine(folder, ModelFile), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            graph.Write(stream, producer, [("", 17), ("com.microsoft", 1)]);
        }

        WriteJson(folder, "genai_config.json", GenAiConfig(shape, vocabulary));
        WriteJson(folder, "tokenizer.json", Tokenizer(vocabulary));
        WriteJson(folder, "tokenizer_config.json", TokenizerConfig(shape, vocabulary, chatTemplate));
    }

    private static void WriteJson(string folder, string name, JsonNode node) =>
        File.WriteAllText(Path.Combine(folder, name), node.ToJsonString(Indented) + "\n");

    private static JsonObject GenAiConfig(DecoderShape shape, ByteLevelVocabulary vocabulary)
    {
        var endOfText = vocabulary.Specials[ByteLevelVocabulary.EndOfText];
        return new JsonObject
        {
            ["model"] = new JsonObject
            {
                ["bos_token_id"] = endOfText,
                ["context_length"] = shape.ContextLength,
                ["decoder"] = new JsonObject
                {
                    ["session_options"] = new JsonObject
                    {
                        ["log_id"] = "onnxruntime-genai",
                        ["intra_op_num_threads"] = 2,
                        ["provider_options"] = new JsonArray(),
                    },
                    ["filename"] = ModelFile,
                    ["head_size"] = shape.HeadSize,
                    ["hidden_size"] = shape.HiddenSize,
                    ["inputs"] = new JsonObject
                    {
                        ["input_ids"] = "input_ids",
                        ["attention_mask"] = "attention_mask",
                        ["past_key_names"] = "past_key_values.%d.key",
                        ["past_value_names"] = "past_key_values.%d.value",
                    },
                    ["outputs"] = new JsonObject
                    {
                        ["logits"] = "logits",
                        ["present_key_names"] = "present.%d.key",
                        ["present_value_names"] = "present.%d.value",
                    },
                    ["num_attention_heads"] = shape.Heads,
                    ["num_hidden_layers"] = shape.Layers,
                    ["num_key_value_heads"] = shape.KvHeads,
                },
                ["eos_token_id"] = new JsonArray(vocabulary.Specials[ByteLevelVocabulary.ImEnd], endOfText),
                ["pad_token_id"] = endOfText,
                ["type"] = "qwen2",
                ["vocab_size"] = shape.VocabSize,
            },
            ["search"] = new JsonObject
            {
                ["do_sample"] = false,
                ["max_length"] = Math.Min(shape.ContextLength, 4096),
                ["min_length"] = 0,
                ["num_beams"] = 1,
                ["num_return_sequences"] = 1,
                ["past_present_share_buffer"] = true,
                ["repetition_penalty"] = 1.0,
                ["temperature"] = 1.0,
                ["top_k"] = 0,
                ["top_p"] = 1.0,
            },
        };
    }

    private static JsonObject Tokenizer(ByteLevelVocabulary vocabulary)
    {
        var vocab = new JsonObject();
        foreach (var (token, id) in vocabulary.RegularTokens())
        {
            vocab[token] = id;
        }

        var added = new JsonArray();
        foreach (var (content, id) in vocabulary.Specials.OrderBy(special => special.Value))
        {
            added.Add(new JsonObject
            {
                ["id"] = id,
                ["content"] = content,
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            });
        }

        JsonObject ByteLevel() => new()
        {
            ["type"] = "ByteLevel",
            ["add_prefix_space"] = false,
            ["trim_offsets"] = false,
            ["use_regex"] = true,
        };

        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevel(),
            ["post_processor"] = null,
            ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(),
            },
        };
    }

    private static JsonObject TokenizerConfig(DecoderShape shape, ByteLevelVocabulary vocabulary, string chatTemplate)
    {
        var decoder = new JsonObject();
        foreach (var (content, id) in vocabulary.Specials.OrderBy(special => special.Value))
        {
            decoder[id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = content,
                ["lstrip"] = false,
                ["normalized"] = false,
                ["rstrip"] = false,
                ["single_word"] = false,
                ["special"] = true,
            };
        }

        return new JsonObject
        {
            ["add_bos_token"] = false,
            ["add_prefix_space"] = false,
            ["added_tokens_decoder"] = decoder,
            ["bos_token"] = null,
            ["chat_template"] = chatTemplate,
            ["clean_up_tokenization_spaces"] = false,
            ["eos_token"] = ByteLevelVocabulary.ImEnd,
            ["errors"] = "replace",
            ["model_max_length"] = shape.ContextLength,
            ["pad_token"] = ByteLevelVocabulary.EndOfText,
            ["split_special_tokens"] = false,
            ["tokenizer_class"] = "Qwen2Tokenizer",
            ["unk_token"] = null,
        };
    }
}
