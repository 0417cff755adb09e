"""Trains a Qwen2-style decoder (the layout slmgw-modelgen writes) on tokenized chat examples.

The distillation job's training engine: PyTorch, run as its own process at low priority.
Input: JSON Lines of {"ids": [...], "target_start": n, "copies": [[start, length], ...], "swaps":
[[field, value, ask_start, ask_length, answer_start, answer_length], ...]} (the prompt as the model's
chat template renders it, then the teacher's answer; loss is taken on the answer only; copies: where
the values the teacher copied from the ask occur; swaps: where a value of a field with few values
stands in the answer and its word in the ask, indexes into the swap table), the swap table
([{"field", "values": [{"value", "words"}]}], byte-level text) and the decoder's shape.
A copy drill (made-up values repeated, see CopyDrill) is trained beside tasks that copy values, and
copied values weigh more in the loss: they are a few tokens of an answer that is otherwise the same
every time, and the model must learn to copy them, not merely to write the answer's frame.
Output: the trained weights as one little-endian float32 file with a JSON index, named as the ONNX
initializers are. Progress goes to stdout as JSON Lines: {"step", "steps", "loss", "elapsed_s"}.
"""
import argparse
import json
import math
import random
import resource
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

EPSILON = 1e-6


class RmsNorm(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPSILON) * self.weight


def rotate(x, cos, sin):
    """Rotary embedding on the two halves of each head (GroupQueryAttention's non-interleaved form)."""
    half = x.shape[-1] // 2
    first, second = x[..., :half], x[..., half:]
    return torch.cat([first * cos - second * sin, second * cos + first * sin], dim=-1)


class Layer(nn.Module):
    def __init__(self, shape):
        super().__init__()
        hidden, head = shape["hidden_size"], shape["hidden_size"] // shape["heads"]
        self.heads, self.kv_heads, self.head = shape["heads"], shape["kv_heads"], head
        self.input_layernorm = RmsNorm(hidden)
        self.q_proj = nn.Linear(hidden, hidden, bias=False)
        self.k_proj = nn.Linear(hidden, self.kv_heads * head, bias=False)
        self.v_proj = nn.Linear(hidden, self.kv_heads * head, bias=False)
        self.o_proj = nn.Linear(hidden, hidden, bias=False)
        self.post_attention_layernorm = RmsNorm(hidden)
        self.gate_proj = nn.Linear(hidden, shape["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(hidden, shape["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(shape["intermediate_size"], hidden, bias=False)

    def forward(self, x, cos, sin, mask):
        batch, length, _ = x.shape
        h = self.input_layernorm(x)
        q = rotate(self.q_proj(h).view(batch, length, self.heads, self.head).transpose(1, 2), cos, sin)
        k = rotate(self.k_proj(h).view(batch, length, self.kv_heads, self.head).transpose(1, 2), cos, sin)
        v = self.v_proj(h).view(batch, length, self.kv_heads, self.head).transpose(1, 2)
        group = self.heads // self.kv_heads
        k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.head) + mask
        attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, -1)
        x = x + self.o_proj(attended)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Decoder(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = shape
        self.embed_tokens = nn.Embedding(shape["vocab_size"], shape["hidden_size"])
        self.layers = nn.ModuleList(Layer(shape) for _ in range(shape["layers"]))
        self.norm = RmsNorm(shape["hidden_size"])
        self.lm_head = nn.Linear(shape["hidden_size"], shape["vocab_size"], bias=False)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
        # Tied input and output embeddings (as Qwen2.5's small models have them): a head that moves a
        # prompt token's embedding to the answer position scores that same token, so copying values
        # from the ask (ids, names, numbers) is learned in hundreds of steps rather than thousands.
        self.lm_head.weight = self.embed_tokens.weight

    def forward(self, ids):
        length = ids.shape[1]
        head = self.shape["hidden_size"] // self.shape["heads"]
        half = torch.arange(head // 2, dtype=torch.float32)
        angles = torch.arange(length, dtype=torch.float32)[:, None] / torch.pow(10000.0, 2.0 * half / head)[None, :]
        cos, sin = angles.cos(), angles.sin()
        mask = torch.full((length, length), float("-inf")).triu(1)
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))

    def named_weights(self):
        """The weights under the ONNX initializer names slmgw-modelgen uses, in torch's [out, in] layout."""
        yield "model.embed_tokens.weight", self.embed_tokens.weight
        for index, layer in enumerate(self.layers):
            prefix = f"model.layers.{index}"
            yield f"{prefix}.input_layernorm.weight", layer.input_layernorm.weight
            for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
                yield f"{prefix}.attn.{name}.weight", getattr(layer, name).weight
            yield f"{prefix}.post_attention_layernorm.weight", layer.post_attention_layernorm.weight
            for name in ("gate_proj", "up_proj", "down_proj"):
                yield f"{prefix}.mlp.{name}.weight", getattr(layer, name).weight
        yield "model.norm.weight", self.norm.weight
        yield "lm_head.weight", self.lm_head.weight


class CopyVariants:
    """Draws an example with its copied values made up afresh (the spans in "copies"): letters by
    letters of the same case, digits 1-9 by digits 1-9 (a zero stays, so numbers stay numbers), one
    substitution for the whole example. A value made up at every draw can only be copied, never
    learned as it is."""

    def __init__(self, alphabet, share, rng):
        self.lower, self.upper, self.digits = alphabet["lower"], alphabet["upper"], alphabet["digits"]
        self.share, self.rng = share, rng

    def draw(self, example):
        ids, copies = example["ids"], example.get("copies")
        if not copies or self.rng.random() >= self.share:
            return ids
        letters = self.rng.sample(range(len(self.lower)), len(self.lower))
        digits = self.rng.sample(self.digits, len(self.digits))
        substitute = dict(zip(self.digits, digits))
        substitute.update((self.lower[i], self.lower[j]) for i, j in enumerate(letters))
        substitute.update((self.upper[i], self.upper[j]) for i, j in enumerate(letters))
        drawn = list(ids)
        for start, length in copies:
            for position in range(start, start + length):
                drawn[position] = substitute.get(drawn[position], drawn[position])
        return drawn


class ValueSwaps:
    """Draws an example with its values of fields with few values (a unit code, a status) swapped for
    other values of their fields, the ask's word for each swapped for a word of the new value (a
    capital kept), at a share of the draws. Values that were equal stay equal and values that differed
    stay different. The model then sees every pairing of values, not only those of its examples, and
    learns the word each value goes with. Token ids are bytes (the byte-level vocabulary)."""

    def __init__(self, table, share, rng):
        self.fields = [[(list(value["value"].encode()), [word.encode() for word in value["words"]]) for value in field["values"]]
                       for field in table]
        self.share, self.rng = share, rng

    def draw(self, ids, target_start, copies, swaps):
        """The example's ids, target start and copy spans after a swap (as they were when none is
        drawn), and the answer spans of its swappable values."""
        if not swaps or self.rng.random() >= self.share:
            return ids, target_start, copies, [(slot[4], slot[5]) for slot in swaps]
        chosen = self.choose(swaps)
        if chosen is None:
            return ids, target_start, copies, [(slot[4], slot[5]) for slot in swaps]
        edits = []
        for (field, _, ask_start, ask_length, answer_start, answer_length), value in zip(swaps, chosen):
            code, words = self.fields[field][value]
            word = list(self.rng.choice(words))
            if 65 <= ids[ask_start] <= 90 and 97 <= word[0] <= 122:
                word[0] -= 32
            edits.append((ask_start, ask_length, word))
            edits.append((answer_start, answer_length, code))
        edits.sort()
        drawn, shifts, at = [], [], 0
        for start, length, replacement in edits:
            drawn.extend(ids[at:start])
            drawn.extend(replacement)
            shifts.append((start, len(replacement) - length))
            at = start + length
        drawn.extend(ids[at:])

        def moved(position):
            return position + sum(shift for start, shift in shifts if start < position)

        answers = [(moved(slot[4]), len(self.fields[slot[0]][value][0])) for slot, value in zip(swaps, chosen)]
        return drawn, moved(target_start), [(moved(start), length) for start, length in copies], answers

    def choose(self, swaps):
        """New values for the example's slots that keep which of its values were equal, or None after a few tries."""
        names = [bytes(self.fields[slot[0]][slot[1]][0]) for slot in swaps]
        for _ in range(8):
            chosen = [self.rng.randrange(len(self.fields[slot[0]])) for slot in swaps]
            drawn = [bytes(self.fields[slot[0]][value][0]) for slot, value in zip(swaps, chosen)]
            if all((names[i] == names[j]) == (drawn[i] == drawn[j]) for i in range(len(swaps)) for j in range(i + 1, len(swaps))):
                return chosen
        return None


class CopyDrill:
    """A generic copying exercise trained beside the task: a made-up value between quotes amid random
    characters, then a line that repeats the value between quotes (loss on the repeat). It forms the
    attention that copies (find where the value starts, then follow it character by character) within
    a few hundred steps; from the task's examples alone, where a value is 5-10 of an answer's ~100
    tokens, that took thousands of steps, and how many varied from one draw to the next."""

    def __init__(self, alphabet, rows, rng):
        self.symbols = alphabet["lower"] + alphabet["upper"] + alphabet["digits"]
        self.filler, self.quote = alphabet["filler"], alphabet["quote"]
        self.separator, self.end = alphabet["separator"], alphabet["end"]
        self.rows, self.rng = rows, rng

    def exercise(self):
        rng = self.rng
        symbols = rng.sample(self.symbols, rng.randint(4, len(self.symbols)))
        value = [rng.choice(symbols) for _ in range(rng.randint(3, 16))]
        before = [rng.choice(self.filler) for _ in range(rng.randint(0, 30))]
        after = [rng.choice(self.filler) for _ in range(rng.randint(0, 30))]
        prompt = before + [self.quote] + value + [self.quote] + after + [self.separator, self.quote]
        return prompt + value + [self.quote, self.end], len(prompt)

    def batch(self):
        exercises = [self.exercise() for _ in range(self.rows)]
        longest = max(len(sequence) for sequence, _ in exercises)
        ids = torch.zeros((self.rows, longest), dtype=torch.long)
        targets = torch.full((self.rows, longest), -100, dtype=torch.long)
        for row, (sequence, start) in enumerate(exercises):
            ids[row, :len(sequence)] = torch.tensor(sequence)
            targets[row, start - 1:len(sequence) - 1] = torch.tensor(sequence[start:])
        return ids, targets


def batches(examples, batch_size, rng, variants, swaps, copy_weight):
    """Shuffled batches of similar length, padded to the longest (the padding is never a target), with
    each target's weight in the loss: copy_weight for the answer's copied and swappable values, 1 for
    the rest."""
    order = sorted(range(len(examples)), key=lambda i: len(examples[i]["ids"]) + rng.random())
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(chunks)
    for chunk in chunks:
        drawn = [swaps.draw(variants.draw(examples[i]), examples[i]["target_start"], examples[i].get("copies") or [],
                            examples[i].get("swaps") or []) for i in chunk]
        longest = max(len(sequence) for sequence, _, _, _ in drawn)
        ids = torch.zeros((len(chunk), longest), dtype=torch.long)
        targets = torch.full((len(chunk), longest), -100, dtype=torch.long)
        weights = torch.zeros((len(chunk), longest))
        for row, (sequence, start, copies, values) in enumerate(drawn):
            ids[row, :len(sequence)] = torch.tensor(sequence)
            targets[row, start - 1:len(sequence) - 1] = torch.tensor(sequence[start:])
            weights[row, start - 1:len(sequence) - 1] = 1.0
            for value_start, length in list(copies) + values:
                if value_start >= start:
                    weights[row, value_start - 1:value_start - 1 + length] = copy_weight
        yield ids, targets, weights


def resident_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(**fields):
    print(json.dumps(fields), flush=True)


def train(examples, shape, steps, batch_size, learning_rate, seed, max_seconds, max_memory_mb, variants, swaps, copy_weight, drill):
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = Decoder(shape)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps)))
    started, step = time.monotonic(), 0
    while step < steps:
        for ids, targets, weights in batches(examples, batch_size, rng, variants, swaps, copy_weight):
            logits = model(ids)
            losses = F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1), ignore_index=-100, reduction="none")
            loss = (losses * weights.view(-1)).sum() / weights.sum()
            if drill is not None:
                drill_ids, drill_targets = drill.batch()
                drill_logits = model(drill_ids)
                loss = loss + F.cross_entropy(drill_logits.view(-1, drill_logits.shape[-1]), drill_targets.view(-1), ignore_index=-100)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            elapsed = time.monotonic() - started
            if step % 5 == 0 or step == steps:
                report(step=step, steps=steps, loss=round(loss.item(), 4), elapsed_s=round(elapsed, 1), rss_mb=round(resident_mb()))
            if resident_mb() > max_memory_mb:
                raise MemoryError(f"training used {resident_mb():.0f} MB, over the job's limit of {max_memory_mb} MB")
            if elapsed > max_seconds:
                report(stopped="time limit", step=step, elapsed_s=round(elapsed, 1))
                return model
            if step == steps:
                break
    return model


def save(model, path):
    index, offset = [], 0
    with open(path + ".bin", "wb") as data:
        for name, tensor in model.named_weights():
            values = tensor.detach().to(torch.float32).contiguous()
            data.write(values.numpy().astype("<f4").tobytes())
            index.append({"name": name, "shape": list(values.shape), "offset": offset})
            offset += values.numel() * 4
    with open(path + ".json", "w") as manifest:
        json.dump({"format": "float32-le", "tensors": index}, manifest)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--shape", required=True, help="the decoder's shape as JSON")
    parser.add_argument("--out", required=True, help="weights path without extension")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--max-seconds", type=float, required=True)
    parser.add_argument("--max-memory-mb", type=float, required=True)
    parser.add_argument("--copy-alphabet", required=True,
                        help='the token ids of "lower", "upper" and "digits" (1-9) that copied values are made up of, and the copy drill\'s '
                             '"filler" (characters around its value), "quote", "separator" and "end", as JSON')
    parser.add_argument("--copy-share", type=float, required=True, help="share of draws with copied values made up afresh")
    parser.add_argument("--copy-drill-rows", type=int, required=True,
                        help="rows of the copy drill trained beside each batch when the examples copy values (0: none)")
    parser.add_argument("--copy-weight", type=float, required=True,
                        help="weight in the loss of an answer token of a copied or swappable value (the others weigh 1)")
    parser.add_argument("--swap-table", required=True, help="the fields with few values, their values and words, as JSON (a file)")
    parser.add_argument("--swap-share", type=float, required=True, help="share of draws with values of fields with few values swapped")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.data) as lines:
        examples = [json.loads(line) for line in lines if line.strip()]
    if not examples:
        report(error="no training examples")
        return 1
    alphabet = json.loads(args.copy_alphabet)
    variants = CopyVariants(alphabet, args.copy_share, random.Random(args.seed + 1))
    copies = any(example.get("copies") for example in examples)
    drill = CopyDrill(alphabet, args.copy_drill_rows, random.Random(args.seed + 2)) if copies and args.copy_drill_rows > 0 else None
    with open(args.swap_table) as table:
        swaps = ValueSwaps(json.load(table), args.swap_share, random.Random(args.seed + 3))
    model = train(examples, json.loads(args.shape), args.steps, args.batch_size, args.learning_rate,
                  args.seed, args.max_seconds, args.max_memory_mb, variants, swaps, args.copy_weight, drill)
    save(model, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
