"""Where the tests find the bundled seeds and the question sets."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
DEV_QUESTIONS = REPO.parent / "shared" / "eval" / "questions.dev.jsonl"
HELDOUT_QUESTIONS = Path(__file__).parent / "data" / "questions.heldout.jsonl"
SQUAD_SLICE = Path(__file__).parent / "data" / "squad-slice"
