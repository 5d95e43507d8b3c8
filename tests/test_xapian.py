"""The Xapian backend against real ``xapian-tcpsrv`` shard servers on loopback: the same
answers as the embedded index, incremental reindexing shard by shard, and faults."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ONE_SHARED, Settings
from bot.console import run_console
from bot.opening import open_service
from bot.service import Upload
from bot.shards import running, serve, server_program, stop
from fake_discord import payloads
from fake_discord.harness import ADMIN, connected, fake_discord, make_settings, scenario
from index import CitebotError, SearchIndex, answer_question
from index.embed import load_embedder
from index.evaluation import read_questions
from paths import DEV_QUESTIONS, REPO


def _missing() -> str | None:
    if importlib.util.find_spec("xapian") is None:
        return "the xapian extra is not installed (pip install -e '.[xapian]')"
    if server_program() is None:
        return "xapian-tcpsrv is not installed (apt-get install xapian-tools)"
    return None


if (_reason := _missing()) is not None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the Xapian tests: {_reason}", pytrace=False)
    pytest.skip(_reason, allow_module_level=True)

import xapian  # noqa: E402

from bot.shard_service import ShardService  # noqa: E402
from index.backend import Backend  # noqa: E402
from index.models import Passage  # noqa: E402
from index.pool import PoolView  # noqa: E402
from index.shard_location import shard_name  # noqa: E402
from index.xapian_index import XapianIndex  # noqa: E402
from index.xapian_shards import ShardError, build_shards, shard_of  # noqa: E402


def _free_ports(count: int) -> int:
    """A base port with ``count`` free ports from it on loopback."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count < 65536 and all(_free(base + n) for n in range(count)):
            return base
    raise RuntimeError("no free ports on loopback")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def shard_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two shards of the seeds, with vectors as the bot builds them (read-only)."""
    from paths import SEEDS

    folder = tmp_path_factory.mktemp("shards")
    build_shards(SEEDS, folder, 2, embedder=load_embedder())
    return folder


@pytest.fixture
def cluster(shard_folder: Path) -> Iterator[XapianIndex]:
    """The seeds' shards served by two xapian-tcpsrv on loopback, and a client over them."""
    servers = serve(shard_folder, 2, _free_ports(2))
    client = XapianIndex([server.address for server in servers])
    yield client
    client.close()
    stop(shard_folder)


def _quotes(index: Backend, question: str) -> list[tuple[str, str]]:
    return [(q.source.doc, q.text) for q in answer_question(index, question).quotes]


def test_two_shards_answer_every_dev_question_as_the_embedded_index(
    cluster: XapianIndex, seed_index: SearchIndex
) -> None:
    for question in read_questions(DEV_QUESTIONS):
        assert _quotes(cluster, question.question) == _quotes(seed_index, question.question)


def _interfax_pool(index: XapianIndex) -> tuple[PoolView, list[Passage]]:
    """The view of a question about "Interfax", and the passages its pool holds."""
    ids, _ = index.known_terms(["interfax"])
    view = index.view({"interfax": int(ids[0])})
    return view, [view.passage(number) for number, _ in view.bm25.top(["interfax"], 100)]


def test_a_speaker_outside_the_pool_is_fetched_from_the_shards(
    cluster: XapianIndex, seed_index: SearchIndex
) -> None:
    """A question's pool holds the passages matching it; the sentence naming a quote's
    speaker may be in a paragraph that matches nothing, so the shards are asked for it."""
    view, pooled = _interfax_pool(cluster)
    quoted = next(p for p in pooled if "destructive steps" in p.text)
    before = view.sentence_before(quoted.first_sentence)
    assert before is not None and before.startswith("In response, Russian Deputy")
    assert not any(p.doc == quoted.doc and before in p.text for p in pooled)
    for passage in pooled:
        same = next(
            seed_index.passage(n)
            for n in seed_index.passage_range(passage.doc)
            if seed_index.passage(n).text == passage.text
        )
        for k in range(len(passage.sentences)):
            assert view.sentence_before(passage.first_sentence + k) == (
                seed_index.sentence_before(same.first_sentence + k)
            )


def test_shards_hold_every_passage_and_article(
    cluster: XapianIndex, seed_index: SearchIndex
) -> None:
    assert cluster.passage_total == seed_index.passage_total
    assert cluster.sources == seed_index.sources
    assert cluster.has_vectors == seed_index.has_vectors
    for source in seed_index.sources:
        assert cluster.passage_count(source.doc) == seed_index.passage_count(source.doc)
    for term in ("troop", "romania", "the-never-seen-word"):
        assert cluster.document_frequency(term) == seed_index.bm25.document_frequency(term)
        assert cluster.idf(term) == pytest.approx(seed_index.bm25.idf(term), rel=1e-12)


def test_xapian_bm25_scores_rare_terms_as_citebot_does(
    shard_folder: Path, seed_index: SearchIndex
) -> None:
    """Xapian's own BM25 (k1, b set to citebot's) gives rank-bm25's scores for terms in
    fewer than a third of the passages; above that its IDF differs (see the README)."""
    database = xapian.Database()
    for n in range(2):
        database.add_database(xapian.Database(str(shard_folder / shard_name(n))))
    enquire = xapian.Enquire(database)
    enquire.set_weighting_scheme(xapian.BM25Weight(1.5, 0, 1, 0.75, 0))
    for query in (["troop", "romania"], ["pentagon", "spokesman"], ["brigad"]):
        assert all(
            seed_index.bm25.document_frequency(t) < seed_index.passage_total / 3 for t in query
        )
        enquire.set_query(xapian.Query(xapian.Query.OP_OR, query))
        xapian_scores = sorted((m.weight for m in enquire.get_mset(0, 10)), reverse=True)
        citebot_scores = [score for _, score in seed_index.bm25.top(query, 10)]
        assert xapian_scores == pytest.approx(citebot_scores, rel=1e-9)


def test_articles_go_to_shards_by_a_stable_hash_of_their_name() -> None:
    """The same on every machine and every run (not Python's salted hash()), and spread."""
    names = ["000_bc9ac90424408617.txt", "001_0f3790107ac6dcad.txt", "002_9ff1ef3f97788050.txt"]
    assert [shard_of(name, 3) for name in names] == [2, 1, 1]
    assert {shard_of(f"article-{n}.txt", 4) for n in range(40)} == {0, 1, 2, 3}


def test_reindexing_one_changed_article_rewrites_only_its_shard(
    corpus: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "shards"
    build_shards(corpus, folder, 2)
    servers = serve(folder, 2, _free_ports(2))
    try:
        client = XapianIndex([server.address for server in servers])
        revisions = [_revision(folder, n) for n in range(2)]
        article = sorted(corpus.glob("*.txt"))[0]
        article.write_text(
            article.read_text() + "\n\nThe zorblax treaty was signed in Quebec by nine envoys.\n"
        )
        report = build_shards(corpus, folder, 2)
        changed = shard_of(article.name, 2)
        assert report.changed == (article.name,)
        assert report.rewritten == (changed,)
        after = [_revision(folder, n) for n in range(2)]
        assert after[changed] != revisions[changed]
        assert after[1 - changed] == revisions[1 - changed]
        client.reopen()
        quotes = _quotes(client, "Where was the zorblax treaty signed?")
        assert quotes and quotes[0][0] == article.name and "Quebec" in quotes[0][1]
        client.close()
    finally:
        stop(folder)


def test_an_unchanged_corpus_rewrites_no_shard(corpus: Path, tmp_path: Path) -> None:
    build_shards(corpus, tmp_path / "shards", 2)
    assert build_shards(corpus, tmp_path / "shards", 2).rewritten == ()


def test_a_killed_shard_fails_the_question_with_a_clear_logged_message(
    cluster: XapianIndex, shard_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert _quotes(cluster, "How many troops went to Romania?")
    victim = running(shard_folder)[1]
    os.killpg(victim.pid, signal.SIGTERM)
    while victim in running(shard_folder):
        time.sleep(0.02)
    with caplog.at_level(logging.WARNING), pytest.raises(ShardError) as raised:
        answer_question(cluster, "How many troops went to Romania?")
    assert str(victim.address) in str(raised.value)
    assert any(str(victim.address) in record.getMessage() for record in caplog.records)


def test_with_shard_down_answer_the_other_shards_answer_and_say_so(
    shard_folder: Path, corpus: Path
) -> None:
    servers = serve(shard_folder, 2, _free_ports(2))
    try:
        addresses = [server.address for server in servers]
        settings = Settings(corpus_dir=corpus, backend="xapian", xapian=tuple(addresses))
        service = ShardService(settings, XapianIndex(addresses, partial=True))
        assert service.answer("How many troops went to Romania?").notice == ""
        os.killpg(servers[0].pid, signal.SIGTERM)
        while servers[0] in running(shard_folder):
            time.sleep(0.02)
        answer = service.answer("How many troops went to Romania?")
        assert service.shards.missing == (str(servers[0].address),)
        assert answer.notice.startswith("Answers may be incomplete")
        assert str(servers[0].address) in answer.notice
        kept = {s.doc for s in service.shards.sources}
        assert kept and all(shard_of(doc, 2) == 1 for doc in kept)
        assert all(quote.source.doc in kept for quote in answer.quotes)
    finally:
        stop(shard_folder)


def test_a_speaker_the_shards_cannot_give_now_leaves_the_quote_as_it_is(
    shard_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    servers = serve(shard_folder, 2, _free_ports(2))
    try:
        client = XapianIndex([server.address for server in servers])
        view, pooled = _interfax_pool(client)
        quoted = next(p for p in pooled if "destructive steps" in p.text)
        stop(shard_folder)
        with caplog.at_level(logging.WARNING, logger="index.xapian_index"):
            assert view.sentence_before(quoted.first_sentence) is None
        assert any("without the speaker" in record.getMessage() for record in caplog.records)
    finally:
        stop(shard_folder)


def test_an_idle_dropped_connection_is_reopened_and_the_question_asked_again(
    shard_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    servers = serve(shard_folder, 2, _free_ports(2), idle_timeout=0.5)
    try:
        client = XapianIndex([server.address for server in servers])
        first = _quotes(client, "How many troops went to Romania?")
        time.sleep(1.5)  # longer than the servers' idle timeout: they hang up
        with caplog.at_level(logging.INFO, logger="index.xapian_index"):
            assert _quotes(client, "How many troops went to Romania?") == first
        assert any("Reopening" in record.getMessage() for record in caplog.records)
        client.close()
    finally:
        stop(shard_folder)


def test_servers_listen_on_loopback_in_their_own_process_groups(shard_folder: Path) -> None:
    servers = serve(shard_folder, 2, _free_ports(2))
    try:
        assert [server.host for server in servers] == ["127.0.0.1", "127.0.0.1"]
        assert all(os.getpgid(server.pid) == server.pid for server in servers)
        assert os.getpgid(servers[0].pid) != os.getpgid(0)
        assert len(list(shard_folder.glob("shard-*.pid"))) == 2
    finally:
        assert stop(shard_folder) == servers
    assert running(shard_folder) == []
    assert list(shard_folder.glob("shard-*.pid")) == []


def _revision(folder: Path, shard: int) -> int:
    database = xapian.Database(str(folder / shard_name(shard)))
    try:
        return int(database.get_revision())
    finally:
        database.close()


def test_the_cli_serves_shards_answers_from_them_and_stops_them(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, port = tmp_path / "shards", _free_ports(2)
    serving = ["--corpus", str(corpus), "shards", "serve", "--base-port", str(port), str(folder)]
    assert main(serving) == 0
    try:
        printed = capsys.readouterr().out
        addresses = f"127.0.0.1:{port},127.0.0.1:{port + 1}"
        assert f"CITEBOT_XAPIAN={addresses}" in printed
        question = "How many troops went to Romania?"
        index = ["--index-path", str(tmp_path / "index")]
        assert main(["--corpus", str(corpus), *index, "ask", "--json", question]) == 0
        embedded = json.loads(capsys.readouterr().out)
        asked = ["--backend", "xapian", "--xapian", addresses, "ask", "--json", question]
        assert main(["--corpus", str(corpus), *asked]) == 0
        assert json.loads(capsys.readouterr().out) == embedded
    finally:
        assert main(["shards", "stop", str(folder)]) == 0
    assert running(folder) == []
    local = ["--corpus", str(corpus), "--backend", "xapian", "--xapian", str(folder)]
    assert main([*local, "reindex"]) == 0
    printed = capsys.readouterr().out
    assert "No article was added, removed or changed." in printed and "warning" not in printed
    assert main([*local, "ask", "--json", question]) == 0
    assert json.loads(capsys.readouterr().out) == embedded


def test_the_service_over_a_shard_folder_builds_it_and_reindexes_an_upload(
    corpus: Path, tmp_path: Path
) -> None:
    settings = Settings(
        corpus_dir=corpus,
        data_dir=tmp_path / "data",
        backend="xapian",
        xapian=tmp_path / "shards",
        library=ONE_SHARED,
    )
    service = open_service(settings)
    assert len(service.sources()) == len(list(corpus.glob("*.txt")))
    text = b"Title: Zorblax\n\nThe zorblax treaty was signed in Quebec by nine envoys.\n"
    report = service.reindex(upload=Upload("zorblax.txt", text))
    assert report.added == ("zorblax.txt",)
    answer = service.answer("Where was the zorblax treaty signed?")
    assert answer.quotes and answer.quotes[0].source.doc == "zorblax.txt"
    assert "zorblax.txt" in {info.source.doc for info in service.sources()}


def test_the_console_answers_lists_and_reindexes_over_shards(corpus: Path, tmp_path: Path) -> None:
    settings = Settings(corpus_dir=corpus, backend="xapian", xapian=tmp_path / "shards")
    service = open_service(settings)
    (corpus / "zorblax.txt").write_text("Zorblax\n\nThe zorblax treaty was signed in Quebec.\n")
    out = io.StringIO()
    run_console(
        service, io.StringIO(":reindex\nWhere was the zorblax treaty signed?\n:sources\n"), out
    )
    printed = out.getvalue()
    assert "added (1): zorblax.txt" in printed
    assert "Quebec" in printed and "zorblax.txt:" in printed
    with pytest.raises(CitebotError, match="embedded backend"):
        service.reindex(guild=42)


PELICANS = (
    b"Pelicans of Zanzibar\n\nZanzibar pelicans migrate every October across the Indian Ocean, "
    b"ornithologists at the Stone Town observatory reported on Monday.\n"
)


@scenario
async def test_discord_reindex_adds_an_upload_to_the_shards_and_answers_from_it(
    tmp_path: Path,
) -> None:
    settings = make_settings(
        tmp_path,
        CITEBOT_LIBRARY=ONE_SHARED,
        CITEBOT_SHARED_GUILDS=str(payloads.GUILD_ID),
        CITEBOT_BACKEND="xapian",
        CITEBOT_XAPIAN=str(tmp_path / "shards"),
    )
    service = await asyncio.to_thread(open_service, settings)
    async with fake_discord() as discord, connected(discord, settings, service) as client:
        assert isinstance(client.service, ShardService)
        attachment = discord.fake.attachment("pelicans.txt", PELICANS)
        sent = await discord.slash("reindex", ADMIN, article=attachment)
        report = await discord.shown(
            sent, lambda call: call.method == "PATCH" and bool(call.message.get("embeds"))
        )
        asked = await discord.shown(
            await discord.slash("ask", question="When do Zanzibar pelicans migrate?")
        )
    assert "pelicans.txt" in json.dumps(report.message["embeds"][0])
    assert "October" in json.dumps(asked.message["embeds"])


XAPIAN_BENCH_KEYS = {
    "passages",
    "backend",
    "shards",
    "build_s",
    "load_s",
    "p50_ms",
    "p99_ms",
    "client_rss_added_mb",
    "servers_rss_mb",
    "top10_exact",
    "top10_overlap",
    "queries",
    "repeats",
}


def test_the_bench_reports_the_same_keys_for_xapian_shards() -> None:
    port = str(_free_ports(2))
    done = subprocess.run(
        [sys.executable, "bench/search.py", "--passages", "500", "--queries", "10"]
        + ["--backend", "xapian", "--shards", "2", "--base-port", port, "--repeats", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result = json.loads(done.stdout)
    assert result.keys() == XAPIAN_BENCH_KEYS
    assert (result["passages"], result["shards"], result["queries"]) == (500, 2, 10)
    assert result["top10_overlap"] > 0.9
