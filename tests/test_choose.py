"""Stages 1-2 as a run does them: sources on a local server, the state database, empty days,
failing sources, broadcast history."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime

import pytest

from podcast.config import load_config
from podcast.errors import NothingToBroadcast, SourceError
from podcast.models import Episode, Paper
from podcast.pipeline import choose_papers, run_episode
from podcast.store import open_store

from .conftest import SHANGHAI, TAX_PROJECT
from .webserver import DATA, Reply

FRIDAY, SATURDAY = date(2026, 11, 20), date(2026, 11, 21)
SOURCES = DATA / "sources"


def listings(web) -> str:
    return f'[[sources]]\ntype = "arxiv-rss"\nurl = "{web.url("/rss/")}"\ncategories = ["cs.AI+cs.CL"]\n'


# what the team works on: the tax project, with the methods it uses, so that a day of listings has
# more relevant papers than a show of two can take
PROJECT = TAX_PROJECT + "我们用监督微调、直接偏好优化和知识蒸馏。"


def config_for(tmp_path, web, extra="", sources=None):
    hf_daily = f'[[sources]]\ntype = "hf-daily"\nurl = "{web.url("/api/daily_papers")}"\ndays = 1\n'
    sources = sources if sources is not None else listings(web) + hf_daily
    (tmp_path / "podcast.toml").write_text(
        f'[show]\nmax_papers = 2\n[listener]\nproject = "{PROJECT}"\n{extra}\n{sources}', encoding="utf-8"
    )
    return load_config(tmp_path / "podcast.toml", tmp_path)


def serve_friday(web):
    web.routes["/rss/cs.AI+cs.CL"] = Reply.file(SOURCES / "arxiv-rss-cs.AI+cs.CL.xml")
    web.routes["/api/daily_papers"] = Reply.file(SOURCES / "hf-daily-2026-11-20.json", 200, "application/json")


def serve_holiday(web):
    web.routes["/rss/cs.AI+cs.CL"] = Reply.file(SOURCES / "arxiv-rss-empty.xml")
    web.routes["/api/daily_papers"] = Reply.file(SOURCES / "hf-daily-empty.json", 200, "application/json")


def broadcast(store, day, papers):
    store.save_episode(Episode(
        date=day, guid=f"g-{day}", title="t", audio_name=f"episodes/{day}.mp3", audio_bytes=1,
        duration=1.0, transcript_name=f"episodes/{day}.txt", chapters=(), papers=tuple(papers),
        published_at=datetime.combine(day, datetime.min.time(), SHANGHAI),
    ))


@pytest.mark.dated
def test_a_holiday_takes_the_relevant_unbroadcast_papers_of_recent_days_and_no_others(tmp_path, web, caplog):
    config = config_for(tmp_path, web)
    serve_friday(web)
    with open_store(config.state.dir) as store:
        friday = choose_papers(config, FRIDAY, store)
        assert not friday.from_backlog and len(friday.picks) == 2
        broadcast(store, FRIDAY, [p.paper for p in friday.picks])

        serve_holiday(web)
        caplog.set_level(logging.INFO, logger="podcast")
        saturday = choose_papers(config, SATURDAY, store)
        broadcast(store, SATURDAY, [p.paper for p in saturday.picks])
        rebuilt = choose_papers(config, SATURDAY, store)  # run --force on the same day
    assert [p.paper.id for p in rebuilt.picks] == [p.paper.id for p in saturday.picks]
    assert not {p.paper.id for p in friday.picks} & {p.paper.id for p in saturday.picks}
    assert {p.paper.id for p in saturday.picks} <= {p.paper.id for p in friday.ranked}
    # Friday's listings hold three papers on the project and six off it:
    # the show of two takes the best two, and Saturday the third, alone, never one scoring 0.00
    assert saturday.from_backlog and [p.paper.id for p in saturday.picks] == ["2611.04102"]
    assert all(p.score >= 0.05 for p in friday.picks + saturday.picks)
    assert [p.score < 0.05 for p in saturday.ranked] == [False] + [True] * 6
    assert ("Only 1 paper scores min_score 0.05 or more today or in the last 7 days: the show "
            "has 1, not 2.") in caplog.text
    assert "Picked 1 paper, 1 of them from the last 7 days: 2611.04102." in caplog.text


@pytest.mark.dated
def test_backlog_looks_back_only_backlog_days(tmp_path, web):
    config = config_for(tmp_path, web, '[selection]\nbacklog_days = 2\n')
    serve_friday(web)
    with open_store(config.state.dir) as store:
        choose_papers(config, date(2026, 11, 10), store)
        serve_holiday(web)
        with pytest.raises(NothingToBroadcast, match="no papers found for 2026-11-21, and nothing unbroadcast from the 2 days before"):
            choose_papers(config, SATURDAY, store)


def test_skip_makes_no_episode_and_touches_nothing(tmp_path, web):
    config = config_for(tmp_path, web, '[selection]\non_empty = "skip"\n')
    serve_holiday(web)
    result = run_episode(config, now=datetime(2026, 11, 21, 7, 0, tzinfo=SHANGHAI))
    assert result.episode is None and result.skipped == "no papers found for 2026-11-21"
    assert not (tmp_path / "feed").exists()


def test_one_failing_source_does_not_stop_the_others(tmp_path, web, caplog):
    config = config_for(tmp_path, web, "[network]\nretries = 0\n")
    serve_friday(web)
    web.routes["/api/daily_papers"] = Reply(500, b"oops")
    with open_store(config.state.dir) as store:
        choice = choose_papers(config, FRIDAY, store)
    assert len(choice.picks) == 2
    reports = {r.source: r for r in choice.reports}
    assert reports["arXiv listings (cs.AI+cs.CL)"].papers == 5
    assert "HTTP 500" in reports["Hugging Face Daily Papers"].error
    assert "Hugging Face Daily Papers failed, going on without it" in caplog.text


def test_strict_fails_the_run_on_one_failing_source(tmp_path, web):
    config = config_for(tmp_path, web, "[selection]\nstrict = true\n[network]\nretries = 0\n")
    serve_friday(web)
    web.routes["/api/daily_papers"] = Reply(503, b"")
    with open_store(config.state.dir) as store, pytest.raises(SourceError, match=r"^Hugging Face Daily Papers: http://127.0.0.1:\d+/api/daily_papers\?date=2026-11-20: HTTP 503"):
        choose_papers(config, FRIDAY, store)


def test_fallback_sources_only_when_every_source_failed(tmp_path, web):
    sources = listings(web) + '[[sources]]\ntype = "file"\nfallback = true\n'
    config = config_for(tmp_path, web, sources=sources)
    serve_friday(web)
    with open_store(config.state.dir) as store:
        normal = choose_papers(config, FRIDAY, store)
        assert all(p.paper.id.startswith("2611.") for p in normal.ranked) and normal.standins == []
        web.routes["/rss/cs.AI+cs.CL"] = Reply(404, b"")
        down = choose_papers(config, SATURDAY, store)
        assert all(p.paper.id.startswith("2409.") for p in down.picks)
        assert down.standins == ["bundled sample papers (no source could be reached)"]
        # stand-in papers never enter the backlog of real ones
        assert not any(p.id.startswith("2409.") for p in store.backlog(FRIDAY, SATURDAY))


def test_nothing_at_all_is_one_clear_error(tmp_path, web):
    config = config_for(tmp_path, web, "[network]\nretries = 0\n")
    web.routes["/rss/cs.AI+cs.CL"] = Reply(500, b"")
    web.routes["/api/daily_papers"] = Reply(500, b"")
    with open_store(config.state.dir) as store, pytest.raises(NothingToBroadcast, match=r"^no source could be read for 2026-11-20, and nothing unbroadcast"):
        choose_papers(config, FRIDAY, store)


def test_a_new_version_of_a_broadcast_paper_is_not_new(tmp_path, web):
    papers = tmp_path / "papers.json"
    papers.write_text(json.dumps([
        {"id": "2611.04102v2", "title": "Rank-Adaptive LoRA, revised", "summary": "A second version."},
        {"id": "http://arxiv.org/abs/2611.09999v1", "title": "Another paper", "summary": "Fine-tuning."},
    ]), encoding="utf-8")
    config = config_for(tmp_path, web, sources='[[sources]]\ntype = "file"\npath = "papers.json"\n')
    with open_store(config.state.dir) as store:
        broadcast(store, FRIDAY, [Paper(id="2611.04102", title="Rank-Adaptive LoRA", summary="v1")])
        choice = choose_papers(config, SATURDAY, store)
    assert [p.paper.id for p in choice.picks] == ["2611.09999"]


def test_a_broadcast_paper_linked_another_way_is_not_new(tmp_path, web):
    """A newsletter links papers already told through Hugging Face, alphaXiv and a DOI guid:
    each is the same arXiv id, so none goes out again; only the new paper is offered."""
    web.routes["/news.rss"] = Reply(200, b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Paper digest</title><link>https://news.example.org/</link>
<item><title>Rank-Adaptive LoRA</title><link>https://huggingface.co/papers/2611.04102</link>
  <description>Fine-tuning large language models with low-rank adapters whose rank adapts.</description>
  <pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>
<item><title>Tax QA with retrieval</title><link>https://www.alphaxiv.org/abs/2611.05555v2</link>
  <description>Answering tax questions with large language models over annual reports.</description>
  <pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>
<item><title>Our notes on a tax paper</title><link>https://news.example.org/notes/tax</link>
  <guid isPermaLink="false">10.48550/arXiv.2611.06666</guid>
  <description>Fine-tuning large language models on tax filings, read by our team.</description>
  <pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>
<item><title>Fine-tuning for financial reports</title><link>https://huggingface.co/papers/2611.07777</link>
  <description>Fine-tuning large language models to read annual reports and answer tax questions.</description>
  <pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>
</channel></rss>""", {"Content-Type": "application/rss+xml"})
    feed = f'[[sources]]\ntype = "feed"\nurl = "{web.url("/news.rss")}"\n'
    config = config_for(tmp_path, web, sources=feed)
    told = [Paper(id="2611.04102", title="Rank-Adaptive LoRA", summary="v1"),
            Paper(id="2611.05555", title="Tax QA with retrieval", summary="v1"),
            Paper(id="2611.06666", title="Tax filings", summary="v1")]
    with open_store(config.state.dir) as store:
        broadcast(store, FRIDAY, told)
        assert store.broadcast_ids() == {"2611.04102", "2611.05555", "2611.06666"}
        choice = choose_papers(config, SATURDAY, store)
    assert [p.paper.id for p in choice.picks] == ["2611.07777"]
    assert [p.paper.id for p in choice.ranked] == ["2611.07777"]
    assert choice.picks[0].paper.url == "https://arxiv.org/abs/2611.07777"
