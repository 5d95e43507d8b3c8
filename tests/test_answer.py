"""Answers: the answering sentence quoted with its source, grouping, abstention, bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index import (
    MAX_QUESTION_CHARACTERS,
    QuestionError,
    SearchIndex,
    answer_question,
    open_index,
)
from index.embed import load_embedder
from index.evaluation import evaluate, read_questions
from paths import DEV_QUESTIONS, HELDOUT_QUESTIONS, SQUAD_SLICE


def test_romania_is_answered_with_the_sentence_and_corroboration(
    seed_index: SearchIndex,
) -> None:
    answer = answer_question(seed_index, "how many troops went to Romania?")
    best = answer.quotes[0]
    start, end = best.answer
    assert re.search(r"1,?000 .*Romania", best.text[start:end])
    assert best.source.title and best.score > 0
    assert len(best.also) >= 2
    assert best.source.doc not in {source.doc for source in best.also}
    marked = {best.text[a:b].lower() for a, b in best.marks}
    assert {"troops", "romania"} <= marked


def test_a_quote_is_the_sentence_with_at_most_one_sentence_of_context(
    seed_index: SearchIndex,
) -> None:
    for question in ("Who is the Pentagon spokesman?", "When did Russia invade Georgia?"):
        for quote in answer_question(seed_index, question).quotes:
            start, end = quote.answer
            context = (quote.text[:start] + quote.text[end:]).strip()
            assert len(seed_index.splitter.spans(context)) <= 1


def test_every_quote_is_text_of_its_article(seed_index: SearchIndex) -> None:
    documents = {source.doc: source for source in seed_index.sources}
    answer = answer_question(seed_index, "What did Stoltenberg say NATO will do?")
    texts = "\n".join(seed_index.passage(n).text for n in range(seed_index.passage_total))
    for quote in answer.quotes:
        assert quote.source == documents[quote.source.doc]
        start, end = quote.answer
        assert quote.text[start:end] in texts


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2022 FIFA World Cup final?",
        "What is the recipe for banana bread?",
        "How do I reset my router password?",
        "@everyone what is the capital of Peru?",
    ],
)
def test_off_corpus_questions_get_no_quotes(seed_index: SearchIndex, question: str) -> None:
    answer = answer_question(seed_index, question)
    assert not answer.answered and answer.quotes == ()


def test_a_misspelled_word_gets_a_suggestion(seed_index: SearchIndex) -> None:
    answer = answer_question(seed_index, "What did Stoltenbreg say about Rumania?")
    assert not answer.answered
    assert answer.suggestions == ("Stoltenberg", "Romania")


@pytest.mark.parametrize("question", ["", "   \n\t ", "<@123>"])
def test_an_empty_question_is_refused_with_an_example(
    seed_index: SearchIndex, question: str
) -> None:
    with pytest.raises(QuestionError, match="Ask a question"):
        answer_question(seed_index, question)


def test_an_overlong_question_is_refused_with_the_limit(seed_index: SearchIndex) -> None:
    with pytest.raises(QuestionError, match=f"at most {MAX_QUESTION_CHARACTERS}"):
        answer_question(seed_index, "troops " * 1500)


@pytest.mark.parametrize(
    "question",
    [
        "**how many** troops went to `Romania`?",
        "<@123> <@&456> @everyone how many troops went to Romania?",
        "how many troops went to Romania?!?! 🇷🇴",
    ],
)
def test_markup_and_mentions_around_a_question_do_not_change_the_answer(
    seed_index: SearchIndex, question: str
) -> None:
    plain = answer_question(seed_index, "how many troops went to Romania?")
    assert answer_question(seed_index, question).quotes[0].text == plain.quotes[0].text


def test_dev_questions_meet_the_quality_bar(seed_index: SearchIndex) -> None:
    """The seeds' development questions, answered by a ranker fitted only on encyclopedia
    questions (the bar of the hand-tuned ranker fitted to these very questions was
    0.95 top-1; see the README's Quality section)."""
    report = evaluate(read_questions(DEV_QUESTIONS), lambda q: answer_question(seed_index, q))
    assert report.top1 >= 0.9
    assert report.top3 >= 0.96
    assert report.abstained == (3, 3)
    assert report.false_abstentions <= 1


def test_held_out_questions_stay_answered(seed_index: SearchIndex) -> None:
    """Questions written apart from the development set, to catch fitting to it."""
    report = evaluate(read_questions(HELDOUT_QUESTIONS), lambda q: answer_question(seed_index, q))
    assert report.top1 >= 0.75
    assert report.top3 >= 0.9
    assert report.abstained[0] == report.abstained[1]
    assert report.false_abstentions <= 2


def test_real_questions_about_articles_never_fitted_on_meet_the_bar(tmp_path: Path) -> None:
    """Crowd-written questions (squad-wiki, never used for fitting) about three of its
    articles, and ten about articles the corpus lacks."""
    index, _ = open_index(SQUAD_SLICE / "articles", tmp_path / "i", embedder=load_embedder())
    report = evaluate(
        read_questions(SQUAD_SLICE / "heldout.jsonl"), lambda q: answer_question(index, q)
    )
    assert report.top1 >= 0.8
    assert report.top3 >= 0.9
    assert report.abstained == (10, 10)
    assert report.false_abstentions == 0


def test_a_tiny_corpus_still_answers(tmp_path: Path) -> None:
    """In a few passages BM25's IDF is zero or below for many words; ranking must cope."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    paragraphs = ["The zoo reopened on Monday.", "The zoo is old.", "The zoo has lions."]
    (corpus / "zoo.md").write_text("# Zoo\n\n" + "\n\n".join(paragraphs) + "\n")
    index, _ = open_index(corpus, tmp_path / "index")
    assert answer_question(index, "When did the zoo reopen?").quotes[0].text == paragraphs[0]
    assert answer_question(index, "Does the zoo have lions?").quotes[0].text.endswith("lions.")


def test_a_suggestion_is_an_indexed_word_never_a_stopword(seed_index: SearchIndex) -> None:
    answer = answer_question(seed_index, "Who owns the FIFA World Cup?")
    assert not answer.answered and answer.suggestions == ()


def test_a_quote_naming_its_speaker_by_a_pronoun_is_quoted_with_the_name(
    seed_index: SearchIndex,
) -> None:
    """News paragraphs are often one quotation long: "…," he said names no one, so the
    sentence before it, across the paragraph break, is quoted too."""
    best = answer_question(seed_index, "Who called the US deployments destructive steps?").quotes[0]
    start, end = best.answer
    assert best.text[:start].startswith("In response, Russian Deputy Foreign Minister")
    assert "Grushko" in best.text[:start]
    assert best.text[start:end].endswith("he said, according to Interfax.")
    assert {best.text[a:b].lower() for a, b in best.marks} >= {"destructive", "steps"}
    assert all(start <= a for a, _ in best.marks)


def test_a_speaker_is_found_in_the_paragraph_or_the_one_before_never_another_article(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bridge.md").write_text(
        "# Bridge\n\nThe mayor, Ann Lee, spoke on Monday.\n\n"
        '"The bridge will reopen in May," she said.\n\n'
        'Tolls rose last year. "The tolls will stay," he said.\n'
    )
    (corpus / "zoo.md").write_text('# Zoo\n\n"The zoo will reopen in June," she said.\n')
    index, _ = open_index(corpus, tmp_path / "index")
    quotes = {
        q.source.doc: q.text
        for question in ("When will the bridge reopen?", "When will the zoo reopen?")
        for q in answer_question(index, question).quotes[:1]
    }
    assert quotes == {
        "bridge.md": 'The mayor, Ann Lee, spoke on Monday. "The bridge will reopen in May,"'
        " she said.",
        "zoo.md": '"The zoo will reopen in June," she said.',
    }
    tolls = answer_question(index, "Will the tolls stay?").quotes
    assert tolls[0].text == 'Tolls rose last year. "The tolls will stay," he said.'
    assert all("Tolls rose" not in quote.text for quote in tolls[1:])
