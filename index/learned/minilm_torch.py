"""MiniLM-L6 (a 6-layer BERT) in torch, started from the int8 ONNX weights citebot ships,
with a one-logit head: the reader as ``train_reader`` fits and exports it.

Training-time only (torch and onnx, the ``train-reader`` extra). The layout follows the
ONNX graph's weights, so the exported reader runs the same arithmetic onnxruntime does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as functional
from torch import nn

_WIDTH, _HEADS, _INNER, _LAYERS, _VOCABULARY, _POSITIONS = 384, 12, 1536, 6, 30522, 512
_LINEARS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


def minilm_weights(model_path: Path) -> dict[str, np.ndarray]:
    """Float weights by their BERT names; int8 ones dequantised as the graph does."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(model_path)).graph
    stored = {item.name: numpy_helper.to_array(item) for item in graph.initializer}

    def value(name: str) -> np.ndarray:
        if name in stored:
            return stored[name].astype(np.float32)
        return (stored[name + "_q"].astype(np.float32) * stored[name + "_scale"]).astype(np.float32)

    weights = {
        name: array.astype(np.float32)
        for name, array in stored.items()
        if name.startswith("inner.") and not name.endswith(("_q", "_scale"))
    }
    for name in ("word_embeddings", "position_embeddings"):
        key = f"inner.embeddings.{name}.weight"
        weights[key] = value(key)
    matrices = [
        node.input[1]
        for node in graph.node
        if node.op_type == "MatMul" and node.input[1] + "_q" in stored
    ]
    assert len(matrices) == _LAYERS * len(_LINEARS), "not the MiniLM-L6 graph this expects"
    for layer in range(_LAYERS):
        for number, name in enumerate(_LINEARS):
            matrix = value(matrices[len(_LINEARS) * layer + number])
            weights[f"inner.encoder.layer.{layer}.{name}.weight"] = matrix.T.copy()
    return weights


class _Layer(nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.query = nn.Linear(_WIDTH, _WIDTH)
        self.key = nn.Linear(_WIDTH, _WIDTH)
        self.value = nn.Linear(_WIDTH, _WIDTH)
        self.output = nn.Linear(_WIDTH, _WIDTH)
        self.attention_norm = nn.LayerNorm(_WIDTH, eps=1e-12)
        self.inner = nn.Linear(_WIDTH, _INNER)
        self.outer = nn.Linear(_INNER, _WIDTH)
        self.norm = nn.LayerNorm(_WIDTH, eps=1e-12)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, _HEADS, _WIDTH // _HEADS).transpose(1, 2)

        attended = functional.scaled_dot_product_attention(
            heads(self.query(x)), heads(self.key(x)), heads(self.value(x)), attn_mask=mask
        )
        joined = attended.transpose(1, 2).reshape(batch, length, _WIDTH)
        x = self.attention_norm(x + self.output(joined))
        return self.norm(x + self.outer(functional.gelu(self.inner(x))))

    def parts(self) -> tuple[tuple[nn.Module, str], ...]:
        linears = (self.query, self.key, self.value, self.output, self.inner, self.outer)
        norms = (
            (self.attention_norm, "attention.output.LayerNorm"),
            (self.norm, "output.LayerNorm"),
        )
        return (*zip(linears, _LINEARS, strict=True), *norms)


class CrossEncoder(nn.Module):  # type: ignore[misc]
    """Token ids of "[CLS] question [SEP] sentence [SEP]" -> one logit: does it answer?"""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.words = nn.Embedding(_VOCABULARY, _WIDTH)
        self.positions = nn.Embedding(_POSITIONS, _WIDTH)
        self.types = nn.Embedding(2, _WIDTH)
        self.norm = nn.LayerNorm(_WIDTH, eps=1e-12)
        self.layers = nn.ModuleList([_Layer() for _ in range(_LAYERS)])
        self.head = nn.Linear(_WIDTH, 1)
        self._load(weights)
        self.words.weight.requires_grad = False  # shared with the embedder; kept as shipped

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1])[None]
        x = self.norm(self.words(ids) + self.positions(positions) + self.types(types))
        additive = (1.0 - mask[:, None, None, :].float()) * -1e4
        for layer in self.layers:
            x = layer(x, additive)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return self.head(pooled).squeeze(-1)

    def _load(self, weights: dict[str, np.ndarray]) -> None:
        def put(module: nn.Module, name: str, bias: bool = True) -> None:
            module.weight.data = torch.tensor(weights[name + ".weight"])
            if bias:
                module.bias.data = torch.tensor(weights[name + ".bias"])

        put(self.words, "inner.embeddings.word_embeddings", bias=False)
        put(self.positions, "inner.embeddings.position_embeddings", bias=False)
        put(self.types, "inner.embeddings.token_type_embeddings", bias=False)
        put(self.norm, "inner.embeddings.LayerNorm")
        for number, layer in enumerate(self.layers):
            for module, name in layer.parts():
                put(module, f"inner.encoder.layer.{number}.{name}")


def logits(model: CrossEncoder, tokenizer: Any, pairs: Sequence[tuple[str, str]]) -> torch.Tensor:
    encodings = tokenizer.encode_batch(list(pairs))
    ids, mask, types = (
        torch.tensor([getattr(e, field) for e in encodings])
        for field in ("ids", "attention_mask", "type_ids")
    )
    return model(ids, mask, types)


def fit(
    model: CrossEncoder,
    tokenizer: Any,
    groups: Sequence[tuple[str, str, Sequence[str]]],
    batch: int,
    learning_rate: float,
    warmup: int,
) -> None:
    """One epoch of listwise softmax loss (the answering sentence first in each group),
    AdamW with linear warm-up and decay."""
    trained = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trained, lr=learning_rate, weight_decay=0.01)
    steps = math.ceil(len(groups) / batch)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / steps)
    )
    model.train()
    for step in range(steps):
        chosen = groups[step * batch : (step + 1) * batch]
        pairs = [(q, text) for q, answer, others in chosen for text in (answer, *others)]
        scores = logits(model, tokenizer, pairs)
        loss, at = torch.zeros(()), 0
        for _, _, others in chosen:
            size = 1 + len(others)
            loss = loss - torch.log_softmax(scores[at : at + size], 0)[0]
            at += size
        (loss / len(chosen)).backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if step % 50 == 0:
            print(f"step {step}/{steps} loss {loss.item() / len(chosen):.3f}", flush=True)
    model.eval()


def export(model: CrossEncoder, out: Path) -> None:
    """The model as int8 ONNX (weights quantised, activations quantised as it runs)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    floating = out.with_suffix(".float.onnx")
    example = torch.ones(2, 16, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(
        model,
        (example, example, example * 0),
        str(floating),
        input_names=names,
        output_names=["score"],
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in names} | {"score": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(floating), str(out), weight_type=QuantType.QInt8)
    floating.unlink()
