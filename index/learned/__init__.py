"""The fitted models of the answering core, loaded from the files beside this module.

``ranker-semantic.txt`` / ``ranker-lexical.txt`` are LightGBM lambdarank models that order
candidate quotes (with and without the MiniLM cosines); ``confidence-*.json`` holds the
"does the corpus answer this?" trees of each and its chosen threshold. All are
written by ``python -m index.learned.train`` (fitted on squad-wiki-train only).
``second-look.json`` decides close calls again with the reader (``train_second_look``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from index.candidates import LEXICAL_FEATURES, SEMANTIC_FEATURES
from index.learned.trees import TreeEnsemble

MODELS_VERSION = 2
"""Bumped whenever the features or the fitted files change. Every fitted file carries it
and is refused at load when it differs; indexes hold no fitted values, so they stay valid."""
FOLDER = Path(__file__).parent

FloatArray = npt.NDArray[np.float64]


def signal_names(semantic: bool) -> tuple[str, ...]:
    """What the confidence model reads about a question's ranked candidates."""
    lexical = (
        "top_score",
        "score_gap",
        "score_z",
        "answer_coverage",
        "window_coverage",
        "unseen_share",
        "passage_score_norm",
        "missing_weight",
    )
    return (*lexical, "answer_cosine", "best_cosine") if semantic else lexical


SIGNAL_DIRECTIONS = {
    "top_score": 1,
    "score_gap": 1,
    "score_z": 1,
    "answer_coverage": 1,
    "window_coverage": 1,
    "unseen_share": -1,
    "passage_score_norm": 1,
    "missing_weight": -1,
    "answer_cosine": 1,
    "best_cosine": 1,
}
"""Which way each signal may move the confidence (+1 up, -1 down as it grows): the trees
are held to it, so a better-covered or closer quote never makes citebot less sure."""


def signals(rows: FloatArray, scores: FloatArray, semantic: bool) -> FloatArray:
    """One question's confidence signals from its candidates' features and ranker scores,
    all relative to the question and the corpus, none about a particular article."""
    features = SEMANTIC_FEATURES
    top = int(np.argmax(scores))
    ordered = np.sort(scores)[::-1]
    spread = float(scores.std()) or 1.0
    best = rows[top]
    column = {name: best[features.index(name)] for name in features}
    values = [
        float(ordered[0]),
        float(ordered[0] - ordered[1]) if len(ordered) > 1 else 1.0,
        float((ordered[0] - scores.mean()) / spread),
        column["answer_coverage"],
        column["window_coverage"],
        column["unseen_share"],
        column["passage_score_norm"],
        column["missing_weight"],
    ]
    if semantic:
        values += [column["answer_cosine"], float(rows[:, features.index("answer_cosine")].max())]
    return np.asarray(values, np.float64)


@dataclass(frozen=True)
class Confidence:
    """Boosted trees over the signals, each held to its SIGNAL_DIRECTIONS: unlike a
    weighted sum they learn that a quote covering every question word needs a lower
    cosine, which is what short news questions have. ``threshold`` is the chosen operating
    point on the curve of false "no answer" against off-corpus abstention."""

    names: tuple[str, ...]
    trees: TreeEnsemble
    threshold: float

    def of(self, values: FloatArray) -> float:
        return _sigmoid(float(self.trees.predict(values[None, :])[0]))

    @classmethod
    def from_data(cls, data: dict[str, object], origin: str) -> Confidence:
        """The confidence stored as ``data``; a fault in its trees names ``origin``."""
        names: list[str] = data["names"]  # type: ignore[assignment]
        trees = TreeEnsemble.parse(str(data["trees"]), origin)
        return cls(tuple(names), trees, float(data["threshold"]))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Logistic:
    """Logistic regression over standardised signals, with its chosen threshold."""

    names: tuple[str, ...]
    mean: FloatArray
    scale: FloatArray
    weights: FloatArray
    bias: float
    threshold: float

    def of(self, values: FloatArray) -> float:
        return _sigmoid(float(((values - self.mean) / self.scale) @ self.weights + self.bias))

    def to_data(self) -> dict[str, object]:
        return {
            "names": list(self.names),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
            "threshold": self.threshold,
        }

    @classmethod
    def from_data(cls, data: dict[str, object]) -> Logistic:
        return cls(
            names=tuple(data["names"]),  # type: ignore[arg-type]
            mean=np.asarray(data["mean"], np.float64),
            scale=np.asarray(data["scale"], np.float64),
            weights=np.asarray(data["weights"], np.float64),
            bias=float(data["bias"]),  # type: ignore[arg-type]
            threshold=float(data["threshold"]),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class Model:
    """A ranker and the confidence model fitted on its scores."""

    semantic: bool
    ranker: TreeEnsemble
    confidence: Confidence

    @property
    def features(self) -> tuple[str, ...]:
        return SEMANTIC_FEATURES if self.semantic else LEXICAL_FEATURES

    def scores(self, rows: FloatArray) -> FloatArray:
        """Ranker scores of candidate feature rows (SEMANTIC_FEATURES columns)."""
        if not len(rows):
            return np.zeros(0)
        return self.ranker.predict(rows[:, : len(self.features)])


def model_files(semantic: bool, folder: Path = FOLDER) -> tuple[Path, Path]:
    kind = "semantic" if semantic else "lexical"
    return folder / f"ranker-{kind}.txt", folder / f"confidence-{kind}.json"


@cache
def load_model(semantic: bool, folder: Path = FOLDER) -> Model:
    """The fitted ranker and confidence, read once per process."""
    ranker_file, confidence_file = model_files(semantic, folder)
    data = _versioned(confidence_file)
    confidence = Confidence.from_data(data, str(confidence_file))
    return Model(semantic, TreeEnsemble.read(ranker_file), confidence)


@dataclass(frozen=True)
class SecondLook:
    """A close "no answer" call decided again, from the first confidence's logit and the
    reader's best logit over the ranker's best sentences: what the reader makes of them is
    the one signal the first decision lacks, and it costs a reading, so it is asked only
    where the first decision is near its threshold."""

    confidence: Logistic
    band: float
    """How near, in logits of the first confidence."""

    def applies(self, first: float, threshold: float) -> bool:
        return abs(logit(first) - logit(threshold)) < self.band

    def decided(self, first: float, threshold: float, reader_best: Callable[[], float]) -> float:
        """The confidence to compare with ``threshold`` (the first's): the first one, or for
        a close call the second (``reader_best`` is asked only then)."""
        if not self.applies(first, threshold):
            return first
        return self.of(first, reader_best(), threshold)

    def of(self, first: float, reader_best: float, threshold: float) -> float:
        """The second confidence on the first's scale (``threshold`` is the first's): it
        passes ``threshold`` exactly when it passes its own."""
        second = self.confidence.of(np.array([logit(first), reader_best]))
        shifted = logit(second) - logit(self.confidence.threshold) + logit(threshold)
        return 1 / (1 + math.exp(-shifted))

    def to_data(self) -> dict[str, object]:
        return {"version": MODELS_VERSION, "band": self.band, **self.confidence.to_data()}


SECOND_LOOK_FILE = FOLDER / "second-look.json"
SECOND_LOOK_SIGNALS = ("first_confidence_logit", "reader_best")


@cache
def load_second_look(path: Path = SECOND_LOOK_FILE) -> SecondLook:
    """The fitted second look (written by ``python -m index.learned.train_second_look``)."""
    data = _versioned(path)
    return SecondLook(Logistic.from_data(data), float(data["band"]))  # type: ignore[arg-type]


def _versioned(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != MODELS_VERSION:
        raise ValueError(f"{path} is version {data.get('version')}, not {MODELS_VERSION}")
    return data


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))


def logit(probability: float) -> float:
    """The log-odds, clipped so that a certain 0 or 1 stays finite."""
    clipped = min(max(probability, 1e-6), 1 - 1e-6)
    return math.log(clipped / (1 - clipped))
