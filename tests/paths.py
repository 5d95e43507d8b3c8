"""Where the tests find the bundled seeds and the question sets: all inside the repository,
so a clone with nothing beside it runs the whole suite."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
DATA = Path(__file__).parent / "data"
DEV_QUESTIONS = DATA / "questions.dev.jsonl"
HELDOUT_QUESTIONS = DATA / "questions.heldout.jsonl"
SQUAD_SLICE = DATA / "squad-slice"
