"""The show's web pages: ``index.html`` with every listed episode, and one page per episode
with its timed transcript. Static, self-contained (no fonts, scripts or images from elsewhere:
they work offline and from a file), readable on a phone.

Each paper has 👍/👎 buttons, hidden: the page's script shows them only when the server it
came from answers ``GET ratings`` with the team's votes (`podcast serve` does; a folder opened
from disk or any other host does not), and a click posts the vote there.

Every bit of text from outside (paper titles, authors, notes) is escaped, and a Content
Security Policy lets only this module's own script run, named by its hash: a title that
smuggles in a ``<script>`` or an ``onerror=`` stays text even if an escape were ever missed.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from html import escape
from itertools import groupby

from .. import i18n
from ..models import Chapter, Cue, Episode, Paper, ShowNotes
from ..speak.captions import by_chapter
from .feed import papers_html
from .site import Site

# A backslash at the end of a line here only wraps the source: the CSS and script have one
# line there (their hashes are in the Content Security Policy).
_STYLE = """
:root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fafafa;--card:#fff;--line:#e2e2e2;\
--dim:#666;--accent:#0a62c9}
@media (prefers-color-scheme:dark){:root{--fg:#eee;--bg:#161616;--card:#222;--line:#383838;\
--dim:#aaa;--accent:#6cb0ff}}
*{box-sizing:border-box}
body{font:16px/1.6 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",\
"Noto Sans CJK SC",sans-serif;
max-width:46rem;margin:0 auto;padding:1rem;color:var(--fg);background:var(--bg);\
overflow-wrap:anywhere}
a{color:var(--accent)}
header{display:flex;gap:1rem;align-items:center;margin:.5rem 0 1rem}
header img{width:6rem;height:6rem;border-radius:10px;flex:none}
h1{font-size:1.5rem;margin:0;line-height:1.25}\
h2{font-size:1.15rem;margin:0 0 .3rem;line-height:1.35}
h1 a{color:inherit;text-decoration:none}h3{font-size:1rem;margin:1rem 0 .2rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;\
padding:1rem;margin:0 0 1rem}
.subscribe{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
.subscribe svg{flex:none;background:#fff;border-radius:6px}
.subscribe div{flex:1 1 14rem;min-width:0}
.copy{display:flex;gap:.4rem}\
.copy input{flex:1;min-width:0;font:inherit;font-size:.85rem;padding:.3rem .4rem;
border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
button{font:inherit;cursor:pointer;border:1px solid var(--line);border-radius:6px;\
background:var(--bg);color:var(--fg)}
.copy button{padding:.3rem .8rem}
audio{width:100%;margin:.4rem 0}.meta,.links{color:var(--dim);font-size:.9rem;margin:.2rem 0}
.links a{margin-right:1rem;display:inline-block}
ol.chapters{list-style:none;padding:0;margin:.3rem 0}
ol.chapters button{border:0;background:none;color:var(--accent);\
text-align:left;padding:.15rem 0;width:100%}
ol.chapters time,.transcript time{font-variant-numeric:tabular-nums;\
color:var(--dim);margin-right:.6rem}
details{margin-top:.4rem}summary{cursor:pointer}ol{padding-left:1.4rem}
.transcript p{margin:.2rem 0}.transcript span{cursor:pointer}\
.transcript span.now{background:#ffe58a;color:#000}
.rate[hidden]{display:none}.rate ul{list-style:none;padding:0;margin:.2rem 0}
.rate li{display:flex;gap:.4rem;align-items:center;padding:.15rem 0}\
.rate li span{flex:1;min-width:0}
.rate button{flex:none;padding:.1rem .5rem}\
.rate button[aria-pressed=true]{background:var(--accent);border-color:var(--accent)}
"""

# Chapter buttons and transcript sentences seek the episode's player, the sentence being said is
# highlighted, and the copy button copies the feed address (with a fallback where the Clipboard
# API is missing: plain http on a LAN address). The rating buttons show once the server answers
# with the team's votes, and a click on one rates its paper (on a pressed one, clears it).
_SCRIPT = """
var votes = {};
function answer(response) {
  var type = response.headers.get("Content-Type") || "";
  if (response.status !== 200 || type.indexOf("application/json") !== 0) {
    throw new Error("HTTP " + response.status);
  }
  return response.json();
}
function press() {
  document.querySelectorAll(".rate [data-paper]").forEach(function (item) {
    item.querySelectorAll("[data-vote]").forEach(function (button) {
      var pressed = votes[item.dataset.paper] === button.dataset.vote;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
    });
  });
}
var rating = document.querySelector(".rate");
if (rating && /^https?:$/.test(location.protocol)) {
  fetch(rating.dataset.ratings, {cache: "no-store"}).then(answer).then(function (data) {
    if (!data || typeof data.votes !== "object" || !data.votes) { return; }
    votes = data.votes;
    press();
    document.querySelectorAll(".rate").forEach(function (block) { block.hidden = false; });
  }).catch(function () {});
}
document.addEventListener("click", function (event) {
  var vote = event.target.closest("[data-vote]");
  if (vote) {
    var block = vote.closest(".rate");
    var id = vote.closest("[data-paper]").dataset.paper;
    var note = block.querySelector("[role=status]");
    var wanted = vote.getAttribute("aria-pressed") === "true" ? "clear" : vote.dataset.vote;
    fetch(block.dataset.ratings, {method: "POST", cache: "no-store", \
headers: {"Content-Type": "application/json"}, body: JSON.stringify({id: id, vote: wanted})})
      .then(answer).then(function (data) {
        if (data.vote) { votes[id] = data.vote; } else { delete votes[id]; }
        press();
        note.textContent = "";
      }).catch(function () { note.textContent = block.dataset.failed; });
    return;
  }
  var seek = event.target.closest("[data-t]");
  if (seek) {
    var audio = seek.closest(".card").querySelector("audio");
    audio.currentTime = parseFloat(seek.dataset.t);  // before any metadata too: \
playback starts there
    audio.play().catch(function () {});
    return;
  }
  var copy = event.target.closest("[data-copy]");
  if (copy) {
    var field = document.getElementById(copy.dataset.copy);
    var done = function () { copy.textContent = copy.dataset.done; };
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, \
function () { document.execCommand("copy"); done(); });
    } else { document.execCommand("copy"); done(); }
  }
});
document.querySelectorAll(".transcript").forEach(function (transcript) {
  var audio = transcript.closest(".card").querySelector("audio");
  var spans = Array.prototype.slice.call(transcript.querySelectorAll("span[data-t]"));
  var current = null;
  audio.addEventListener("timeupdate", function () {
    var now = null;
    for (var i = 0; i < spans.length && parseFloat(spans[i].dataset.t) <= audio.currentTime; \
i++) { now = spans[i]; }
    if (now !== current) {
      if (current) { current.classList.remove("now"); }
      if (now) { now.classList.add("now"); }
      current = now;
    }
  });
});
"""


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


_POLICY = (f"default-src 'self'; script-src {_hash(_SCRIPT)}; style-src {_hash(_STYLE)}; "
           "img-src 'self' data:; media-src 'self' https: http:; object-src 'none'; "
           "base-uri 'none'; form-action 'none'")


def render_page(site: Site, episodes: Sequence[Episode]) -> bytes:
    """``index.html``: the show, how to subscribe, and ``episodes`` (newest first)."""
    articles = "\n".join(_episode(site, episode, "") for episode in episodes)
    return _document(site, site.show.title, "", f"{_subscribe(site)}\n<main>\n{articles}\n</main>")


def render_episode_page(site: Site, episode: Episode, cues: Sequence[Cue]) -> bytes:
    """The page of one episode (published next to its MP3, and never rewritten): the player,
    chapters, notes and the transcript, each sentence a place to play from."""
    words = i18n.phrases(episode.language)
    transcript = _transcript(cues, episode.chapters, episode.language)
    body = (f'<p class="links"><a href="../">← {escape(words.all_episodes)}</a></p>\n<main>\n'
            f"{_episode(site, episode, '../', transcript)}\n</main>\n{_subscribe(site, '../')}")
    return _document(site, episode.title, "../", body)


def _document(site: Site, title: str, up: str, body: str) -> bytes:
    show = site.show
    cover = escape(up + site.cover)
    html = f"""<!doctype html>
<html lang="{escape(show.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_POLICY}">
<title>{escape(title)}</title>
<link rel="icon" href="{cover}">
<link rel="alternate" type="application/rss+xml" title="{escape(show.title)}" \
href="{escape(up)}feed.xml">
<style>{_STYLE}</style>
</head>
<body>
<header>
<img src="{cover}" alt="" width="96" height="96">
<div><h1><a href="{escape(up) or './'}">{escape(show.title)}</a></h1>
<p class="meta">{escape(show.description)}</p></div>
</header>
{body}
<script>{_SCRIPT}</script>
</body>
</html>
"""
    return html.encode("utf-8")


def _subscribe(site: Site, up: str = "") -> str:
    import segno  # here: reading the config or the status needs no QR code

    words = i18n.phrases(site.show.language)
    qr = segno.make(site.feed_url, error="m").svg_inline(scale=4, border=2, light="#fff",
                                                         title=site.feed_url)
    return f"""<section class="card subscribe" aria-label="{escape(words.subscribe)}">
{qr}
<div><p>{escape(words.subscribe_hint)}</p>
<p class="copy"><input id="feed-url" readonly value="{escape(site.feed_url)}" aria-label="RSS">\
<button type="button" data-copy="feed-url" data-done="{escape(words.copied)}">\
{escape(words.copy)}</button></p>
<p class="links"><a href="{escape(up)}feed.xml">{escape(words.subscribe)}</a></p></div>
</section>"""


def _clock(seconds: float) -> str:
    minutes, whole = divmod(int(seconds), 60)
    return f"{minutes}:{whole:02d}"


def _episode(site: Site, episode: Episode, up: str, transcript: str = "") -> str:
    """One episode's card; ``up`` leads from the page back to the publish folder's root."""
    words = i18n.phrases(episode.language)
    audio = escape(up + episode.audio_name)
    links = [f'<a href="{audio}" download="{escape(site.download_name(episode))}">'
             f"{escape(words.download)}</a>",
             f'<a href="{escape(up + episode.transcript_name)}">{escape(words.transcript)}</a>']
    links += [f'<a href="{escape(up + name)}">'
              f'{escape(words.captions)} ({name.rsplit(".", 1)[-1].upper()})</a>'
              for name in episode.captions if not name.endswith(".html")]
    title = escape(episode.title)
    if episode.page_name and not transcript:
        title = f'<a href="{escape(up + episode.page_name)}">{title}</a>'
        links.append(f'<a href="{escape(up + episode.page_name)}">{escape(words.episode_page)}</a>')
    chapters = "".join(
        f'<li><button type="button" data-t="{c.start:.2f}"><time>{_clock(c.start)}</time>'
        f"{escape(c.title)}</button></li>"
        for c in episode.chapters)
    # in sight, not among the papers: who reads is about the whole episode
    note = f'\n<p class="meta">{escape(episode.voice_note)}</p>' if episode.voice_note else ""
    return f"""<article class="card" id="{episode.key}">
<h2>{title}</h2>
<p class="meta">{escape(i18n.spoken_day(episode.date, episode.language))} · \
{_clock(episode.duration)}</p>{note}
<audio controls preload="none" src="{audio}"></audio>
<p class="links">{"".join(links)}</p>
<details open><summary>{escape(words.chapters)}</summary>\
<ol class="chapters">{chapters}</ol></details>
<details{" open" if transcript else ""}><summary>{escape(words.papers_heading)}</summary>\
{papers_html(episode)}</details>
{_rating(episode, up)}
{transcript}</article>"""


def _rating(episode: Episode, up: str) -> str:
    """👍/👎 for each paper of ``episode``, hidden until the script finds the server takes
    ratings (at ``ratings`` beside the show page)."""
    words = i18n.phrases(episode.language)

    def title(paper: Paper) -> str:  # as the show notes name it
        return (episode.notes.get(paper.id, ShowNotes()).title
                or paper.title_for(episode.language))

    items = "".join(
        f'<li data-paper="{escape(paper.id)}"><span>{escape(title(paper))}'
        f'</span><button type="button" data-vote="up" aria-pressed="false" '
        f'title="{escape(words.rate_up)}" aria-label="{escape(words.rate_up)}">👍</button>'
        f'<button type="button" data-vote="down" aria-pressed="false" '
        f'title="{escape(words.rate_down)}" aria-label="{escape(words.rate_down)}">👎</button></li>'
        for paper in episode.papers)
    return (f'<section class="rate" hidden data-ratings="{escape(up)}ratings" '
            f'data-failed="{escape(words.rate_failed)}">'
            f'<p class="meta">{escape(words.rate_heading)}</p><ul>{items}</ul>'
            '<p class="meta" role="status"></p></section>')


def _transcript(cues: Sequence[Cue], chapters: Sequence[Chapter], language: str) -> str:
    """The spoken text by chapter, each sentence carrying its start time."""
    space = "" if language.startswith("zh") else " "
    parts = ['<section class="transcript">']
    for chapter, said in by_chapter(cues, chapters):
        if chapter:
            parts.append(f"<h3><time>{_clock(chapter.start)}</time>{escape(chapter.title)}</h3>")
        # a paragraph per turn of a named voice (a conversation), after its name
        for speaker, turn in groupby(said, key=lambda cue: cue.speaker):
            sentences = space.join(f'<span data-t="{cue.start:.2f}">{escape(cue.text)}</span>'
                                   for cue in turn)
            name = f"<cite>{escape(speaker + i18n.colon(language))}</cite>" if speaker else ""
            parts.append(f"<p>{name}{sentences}</p>")
    parts.append("</section>")
    return "\n".join(parts) + "\n"
