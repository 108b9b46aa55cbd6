"""The show page: every episode with a player, a download link, its chapters and papers."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .. import i18n
from ..config import ShowConfig
from ..models import Episode
from .feed import notes_html

_STYLE = """
body{font:16px/1.6 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f;background:#fafafa}
header{border-bottom:1px solid #ddd;margin-bottom:1.5rem}
h1{margin:0 0 .3rem}h2{font-size:1.2rem;margin:0 0 .4rem}
article{background:#fff;border:1px solid #e4e4e4;border-radius:10px;padding:1rem 1.2rem;margin:0 0 1.2rem}
audio{width:100%;margin:.4rem 0}.meta,.links{color:#666;font-size:.9rem}
.links a{margin-right:1rem}details{margin-top:.4rem}ol{padding-left:1.4rem}
"""


def render_page(show: ShowConfig, episodes: Sequence[Episode]) -> bytes:
    words = i18n.phrases(show.language)
    articles = "\n".join(_article(episode) for episode in episodes)
    html = f"""<!doctype html>
<html lang="{escape(show.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(show.title)}</title>
<link rel="alternate" type="application/rss+xml" title="{escape(show.title)}" href="feed.xml">
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>{escape(show.title)}</h1>
<p>{escape(show.description)}</p>
<p class="links"><a href="feed.xml">{escape(words.subscribe)}</a></p>
</header>
<main>
{articles}
</main>
</body>
</html>
"""
    return html.encode("utf-8")


def _article(episode: Episode) -> str:
    words = i18n.phrases(episode.language)
    audio = escape(episode.audio_name)
    minutes, seconds = divmod(round(episode.duration), 60)
    captions = "".join(
        f'<a href="{escape(name)}">{escape(words.captions)} ({name.rsplit(".", 1)[-1].upper()})</a>'
        for name in episode.captions
    )
    chapters = "".join(
        f"<li>{int(c.start) // 60}:{int(c.start) % 60:02d} {escape(c.title)}</li>" for c in episode.chapters
    )
    return f"""<article id="{episode.date.isoformat()}">
<h2>{escape(episode.title)}</h2>
<p class="meta">{escape(i18n.spoken_day(episode.date, episode.language))} · {minutes}:{seconds:02d}</p>
<audio controls preload="none" src="{audio}"></audio>
<p class="links"><a href="{audio}" download>{escape(words.download)}</a>\
<a href="{escape(episode.transcript_name)}">{escape(words.transcript)}</a>{captions}</p>
{notes_html(episode)}
<details><summary>{escape(words.chapters)}</summary><ol>{chapters}</ol></details>
</article>"""
