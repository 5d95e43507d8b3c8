"""The fitted models of the answering core, loaded from the files beside this module.

``ranker-semantic.txt`` / ``ranker-lexical.txt`` are LightGBM lambdarank models that order
candidate quotes (with and without the MiniLM cosines); ``confidence.json`` holds the
logistic "does the corpus answer this?" model of each and its chosen threshold. All are
written by ``python -m index.learned.train`` (fitted on squad-wiki-train only).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from index.candidates import LEXICAL_FEATURES, SEMANTIC_FEATURES
from index.learned.trees import TreeEnsemble

MODELS_VERSION = 1
"""Bumped whenever the features or the fitted files change; stored in the index manifest."""
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
    """Logistic regression over standardised signals; ``threshold`` is the chosen
    operating point on the curve of false "no answer" against off-corpus abstention."""

    names: tuple[str, ...]
    mean: FloatArray
    scale: FloatArray
    weights: FloatArray
    bias: float
    threshold: float

    def of(self, values: FloatArray) -> float:
        z = float(((values - self.mean) / self.scale) @ self.weights + self.bias)
        return 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))

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
    def from_data(cls, data: dict[str, object]) -> Confidence:
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
    data = json.loads(confidence_file.read_text(encoding="utf-8"))
    if data.get("version") != MODELS_VERSION:
        raise ValueError(
            f"{confidence_file} is version {data.get('version')}, not {MODELS_VERSION}"
        )
    return Model(semantic, TreeEnsemble.read(ranker_file), Confidence.from_data(data))
