"""Gather three sources from local servers, one of which never answers and two of which answer
after 0.5 s and 1.0 s, with a 3 s gathering deadline, and print the gathering's seconds, the
deadline plus the slowest answering source, and their ratio (below 1 passes).

    .venv/bin/python bench/gather.py [--deadline 3] [--delays 0.5 1.0] [--runs 3]

The sources are the real ones (Hugging Face's daily papers, arXiv's listings, a blog feed) with
the default network policy (20 s a request, 3 retries): read one after another, the one that
never answers would cost minutes before the others were even asked.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/select.py shares its name with the standard library's select module: keep this folder
# off the import path, or `import subprocess` (which imports select) would load the benchmark.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.webserver

import argparse
import logging
import os
import statistics
import time
from datetime import date

from tests.webserver import DATA, Reply, WebServer

from podcast.http import HttpClient
from podcast.sources import Gathered, Source, gather
from podcast.sources.arxiv import ArxivRssOptions, ArxivRssSource
from podcast.sources.feed import FeedOptions, FeedSource
from podcast.sources.hf_daily import HfDailyOptions, HfDailySource

DAY = date(2026, 11, 20)
SOURCES = DATA / "sources"
HUNG = 3600.0  # seconds the hung server keeps a request waiting (its end cuts this short)


def sources(hung: WebServer, listings: WebServer, blog: WebServer, delays: tuple[float, float]) -> list[Source]:
    hung.routes["/api/daily_papers"] = Reply(200, b"[]", {"Content-Type": "application/json"}, delay=HUNG)
    listing = Reply.file(SOURCES / "arxiv-rss-cs.AI+cs.CL.xml")
    listing.delay = delays[0]
    listings.routes["/rss/cs.AI+cs.CL"] = listing
    feed = Reply.file(SOURCES / "blog-rss.xml")
    feed.delay = delays[1]
    blog.routes["/blog.rss"] = feed
    http = HttpClient()  # the default policy: 20 s a request, 3 retries
    return [
        HfDailySource(HfDailyOptions(url=hung.url("/api/daily_papers"), days=1), http),
        ArxivRssSource(ArxivRssOptions(url=listings.url("/rss/"), categories=("cs.AI+cs.CL",)), http),
        FeedSource(FeedOptions(url=blog.url("/blog.rss"), name="Example AI Lab Blog"), http),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadline", type=float, default=3.0)
    parser.add_argument("--delays", type=float, nargs=2, default=(0.5, 1.0), metavar="SECONDS")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1"  # the servers are local
    logging.getLogger("podcast").setLevel(logging.ERROR)  # the hung source's warning is printed below
    times: list[float] = []
    result: Gathered | None = None
    with WebServer() as hung, WebServer() as listings, WebServer() as blog:
        for _ in range(args.runs):
            read = sources(hung, listings, blog, tuple(args.delays))
            start = time.perf_counter()
            result = gather(read, DAY, deadline=args.deadline)
            times.append(time.perf_counter() - start)
    assert result is not None
    median = statistics.median(times)
    bound = args.deadline + max(args.delays)
    answered = sum(not report.error for report in result.reports)
    print(f"gathering 3 sources, one never answering, two after {args.delays[0]:g} s and {args.delays[1]:g} s; "
          f"{args.runs} runs")
    print(f"  seconds:                  {median:.2f} (median; min {min(times):.2f}, max {max(times):.2f})")
    print(f"  deadline + slowest:       {bound:.2f} ({args.deadline:g} s + {max(args.delays):g} s)")
    print(f"  seconds / that:           {median / bound:.2f} (below 1 passes)")
    print(f"  papers:                   {len(result.papers)} from {answered} of {len(result.reports)} sources")
    print(f"  the hung source:          {result.reports[0].source}: {result.reports[0].error}")


if __name__ == "__main__":
    main()
