"""The compiled tree walk gives exactly LightGBM's scores for the shipped models."""

from __future__ import annotations

from pathlib import Path

import lightgbm
import numpy as np
import pytest

from index.learned import model_files
from index.learned.trees import TreeEnsemble


@pytest.mark.parametrize("count", [1, 63, 2000])  # one thread below 64 rows, two from there
@pytest.mark.parametrize("semantic", [True, False])
def test_the_tree_walk_scores_exactly_as_lightgbm(semantic: bool, count: int) -> None:
    ranker_file, _ = model_files(semantic)
    ensemble = TreeEnsemble.read(ranker_file)
    booster = lightgbm.Booster(model_file=str(ranker_file))
    random = np.random.default_rng(7)
    rows = random.normal(0, 2, (count, ensemble.features)) * random.choice(
        [0.1, 1, 10], ensemble.features
    )
    rows[::5, 2] = np.nan  # LightGBM reads a missing value as 0.0 in these models
    rows[1::5] = np.round(rows[1::5], 1)  # values on and next to thresholds
    assert np.array_equal(ensemble.predict(rows), booster.predict(rows, num_threads=1))


def test_a_single_leaf_tree_adds_its_value(tmp_path: Path) -> None:
    rows = np.random.default_rng(1).normal(size=(200, 2))
    data = lightgbm.Dataset(rows, label=np.full(200, 3.0), params={"verbose": -1})
    booster = lightgbm.train({"objective": "regression", "verbose": -1}, data, num_boost_round=2)
    path = tmp_path / "constant.txt"
    booster.save_model(str(path))
    assert "num_leaves=1\n" in path.read_text(encoding="utf-8")
    scores = TreeEnsemble.read(path).predict(rows)
    assert np.array_equal(scores, booster.predict(rows))
    assert np.allclose(scores, 3.0)


def test_a_model_it_cannot_walk_is_refused(tmp_path: Path) -> None:
    ranker_file, _ = model_files(True)
    text = ranker_file.read_text(encoding="utf-8")
    categorical = tmp_path / "categorical.txt"
    categorical.write_text(
        text.replace("decision_type=2 ", "decision_type=1 ", 1), encoding="utf-8"
    )
    with pytest.raises(ValueError, match="decision types"):
        TreeEnsemble.read(categorical)


def test_rows_of_the_wrong_width_are_refused() -> None:
    ensemble = TreeEnsemble.read(model_files(False)[0])
    with pytest.raises(ValueError, match="features expected"):
        ensemble.predict(np.zeros((3, ensemble.features + 1)))
