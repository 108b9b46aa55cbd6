"""The podcast feed: RSS 2.0 with the iTunes, content, atom and Podcasting 2.0 namespaces, as
podcast apps expect it."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import datetime
from email.utils import format_datetime
from html import escape

from .. import i18n
from ..models import BROADCAST, Episode, Host, Paper, ShowNotes
from .site import Site

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
PODCAST = "https://podcastindex.org/namespace/1.0"
for _prefix, _uri in (("itunes", ITUNES), ("content", CONTENT), ("atom", ATOM),
                      ("podcast", PODCAST)):
    ET.register_namespace(_prefix, _uri)
# podcast:guid is a UUIDv5 of the feed URL without its scheme and trailing slashes, in this
# namespace
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
DESCRIPTION_BYTES = 4000  # Apple's limit for a description, the show's or an item's
# what `podcast run` and `podcast feed` say when the feed names no owner e-mail
NO_OWNER_EMAIL = ("[show] email is not set: the feed names no owner e-mail (itunes:owner), which "
                  "Apple Podcasts needs to verify the show.")
# what stands for the papers or the themes left out of a description
_MORE_ITEMS, _MORE_BLOCKS = "<li>…</li>", "<p>…</p>"
PERSON_NAME_LIMIT = 128  # characters, as the namespace allows
TRANSCRIPT_TYPES = {".vtt": "text/vtt", ".srt": "application/x-subrip",
                    ".transcript.html": "text/html"}


def podcast_guid(feed_url: str) -> str:
    """The show's podcast:guid, as the Podcasting 2.0 namespace computes it from the feed URL."""
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def render_feed(site: Site, episodes: Sequence[tuple[int | None, Episode]], now: datetime) -> bytes:
    """The whole feed document for ``episodes``: (episode number, episode) pairs, newest first;
    recaps, bonus episodes, have no number."""
    show, url_for = site.show, site.url_for
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    _add(channel, "title", show.title)
    _add(channel, "link", url_for("index.html"))
    _add(channel, "description", show.description)
    _add(channel, "language", show.language.lower())
    _add(channel, "copyright", f"© {now.year} {show.author}")
    _add(channel, "generator", "podcast")
    _add(channel, "lastBuildDate", format_datetime(now))
    ET.SubElement(channel, f"{{{ATOM}}}link",
                  {"href": site.feed_url, "rel": "self", "type": "application/rss+xml"})
    image = ET.SubElement(channel, "image")
    _add(image, "url", url_for(site.cover))
    _add(image, "title", show.title)
    _add(image, "link", url_for("index.html"))
    ET.SubElement(channel, f"{{{ITUNES}}}image", {"href": url_for(site.cover)})
    _add(channel, f"{{{ITUNES}}}author", show.author)
    _add(channel, f"{{{ITUNES}}}summary", show.description)
    _add(channel, f"{{{ITUNES}}}type", "episodic")
    _add(channel, f"{{{ITUNES}}}explicit", "false")
    ET.SubElement(channel, f"{{{ITUNES}}}category", {"text": "Technology"})
    owner = ET.SubElement(channel, f"{{{ITUNES}}}owner")
    _add(owner, f"{{{ITUNES}}}name", show.author)
    if show.email:
        _add(owner, f"{{{ITUNES}}}email", show.email)
    _add(channel, f"{{{PODCAST}}}guid", podcast_guid(site.feed_url))
    locked = _add(channel, f"{{{PODCAST}}}locked", "yes")  # no other host may import the show
    if show.email:
        locked.set("owner", show.email)
    _add(channel, f"{{{PODCAST}}}medium", "podcast")
    if site.frequency:
        frequency = _add(channel, f"{{{PODCAST}}}updateFrequency", site.frequency[0])
        frequency.set("rrule", site.frequency[1])
    _persons(channel, site.hosts)
    for number, episode in episodes:
        _item(channel, episode, number, url_for)
    ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def _item(
    channel: ET.Element, episode: Episode, number: int | None, url_for: Callable[[str], str]
) -> None:
    item = ET.SubElement(channel, "item")
    _add(item, "title", episode.title)
    page = (url_for(episode.page_name) if episode.page_name
            else url_for("index.html") + f"#{episode.key}")
    _add(item, "link", page)
    _add(item, "description", notes_html(episode, full=False))
    _add(item, f"{{{CONTENT}}}encoded", notes_html(episode))
    ET.SubElement(item, "enclosure", {
        "url": url_for(episode.audio_name),
        "length": str(episode.audio_bytes),
        "type": "audio/mpeg",
    })
    _add(item, "guid", episode.guid).set("isPermaLink", "false")
    _add(item, "pubDate", format_datetime(episode.published_at))
    _add(item, f"{{{ITUNES}}}duration", str(round(episode.duration)))
    if number is not None:
        _add(item, f"{{{ITUNES}}}episode", str(number))
    _add(item, f"{{{ITUNES}}}episodeType", "bonus" if episode.recap else "full")
    _add(item, f"{{{ITUNES}}}explicit", "false")
    language = episode.language.lower()
    for name in episode.captions:
        kind = next((t for suffix, t in TRANSCRIPT_TYPES.items() if name.endswith(suffix)), None)
        if kind:
            ET.SubElement(item, f"{{{PODCAST}}}transcript", {
                "url": url_for(name), "type": kind, "language": language,
                **({"rel": "captions"} if kind == "text/vtt" else {}),
            })
    ET.SubElement(item, f"{{{PODCAST}}}transcript", {
        "url": url_for(episode.transcript_name), "type": "text/plain", "language": language,
    })
    if episode.chapters_name:
        ET.SubElement(item, f"{{{PODCAST}}}chapters", {
            "url": url_for(episode.chapters_name), "type": "application/json+chapters",
        })
    _persons(item, episode.hosts)


def _persons(parent: ET.Element, hosts: Sequence[Host]) -> None:
    """``podcast:person`` for each voice of a conversation (the namespace's role "host", of its
    default group "cast"; names of at most 128 characters)."""
    for host in hosts:
        _add(parent, f"{{{PODCAST}}}person", host.name[:PERSON_NAME_LIMIT]).set("role", "host")


def notes_html(episode: Episode, full: bool = True) -> str:
    """Show notes: :func:`papers_html`, then the note that the offline voice read the episode,
    if it did. The short form fits the 4000 bytes Apple allows in a description."""
    note = f"<p>{escape(episode.voice_note)}</p>" if episode.voice_note else ""
    return papers_html(episode, full, DESCRIPTION_BYTES - len(note.encode("utf-8"))) + note


def papers_html(episode: Episode, full: bool = True, room: int = DESCRIPTION_BYTES) -> str:
    """Each paper with its title in the show's language, authors and links and, in full, what
    the writer noted about it (a recap's: by theme), in the HTML podcast apps accept (p, ol, ul,
    li, a); the short form in at most ``room`` bytes."""
    if episode.recap:
        return _recap_html(episode, full, room)
    words = i18n.phrases(episode.language)
    items = [_paper_html(paper, episode.notes.get(paper.id, ShowNotes()), episode.language, full)
             for paper in episode.papers]
    named = words.format_names.get(episode.format, episode.format)
    kind = (f"<p>{escape(words.format_line.format(name=named))}</p>"
            if episode.format != BROADCAST else "")
    frame = f"{kind}<p>{escape(words.papers_heading)}</p><ol></ol>"
    if not full:  # whole papers only, as many as fit (titles and author lists can be very long)
        room -= len(frame.encode("utf-8")) + len(_MORE_ITEMS.encode("utf-8"))
        kept = 0
        while kept < len(items) and len(items[kept].encode("utf-8")) <= room:
            room -= len(items[kept].encode("utf-8"))
            kept += 1
        items = items[:kept] + ([_MORE_ITEMS] if kept < len(items) else [])
    return f"{kind}<p>{escape(words.papers_heading)}</p><ol>{''.join(items)}</ol>"


def _recap_html(episode: Episode, full: bool, room: int) -> str:
    """A recap's notes: each theme (in full with its summary) and its papers, then the trend and
    the advice; the short form keeps whole themes up to ``room`` bytes."""
    recap, language = episode.recap, episode.language
    assert recap is not None
    words = i18n.recap_phrases(language)
    papers = {paper.id: paper for paper in episode.papers}
    blocks = []
    for number, theme in enumerate(recap.themes, start=1):
        ordinal = i18n.phrases(language).ordinals[number - 1]
        heading = words.theme_chapter.format(ordinal=ordinal, name=theme.name)
        items = "".join(
            _paper_html(papers[pid], episode.notes.get(pid, ShowNotes()), language, False)
            for pid in theme.paper_ids if pid in papers)
        summary = f"<p>{escape(theme.summary)}</p>" if full and theme.summary else ""
        blocks.append(f"<p>{escape(heading)}</p>{summary}<ul>{items}</ul>")
    tail = ""
    if full:
        tail = "".join((
            f"<p>{escape(words.trend)}{_colon(language)}{escape(recap.trend)}</p>"
            if recap.trend else "",
            f"<p>{escape(words.advice)}</p><ol>"
            + "".join(f"<li>{escape(a)}</li>" for a in recap.advice) + "</ol>"
            if recap.advice else "",
        ))
        return "".join(blocks) + tail
    room -= len(_MORE_BLOCKS.encode("utf-8"))
    kept: list[str] = []
    for block in blocks:
        size = len(block.encode("utf-8"))
        if size > room:
            return "".join(kept) + _MORE_BLOCKS
        kept.append(block)
        room -= size
    return "".join(kept)


def _colon(language: str) -> str:
    return "：" if language.startswith("zh") else ": "


def _paper_html(paper: Paper, notes: ShowNotes, language: str, full: bool) -> str:
    shown = notes.title or paper.title_for(language)
    link = f'<a href="{escape(paper.url)}">{escape(shown)}</a>' if paper.url else escape(shown)
    authors = escape(", ".join(paper.authors[:6]) + (" et al." if len(paper.authors) > 6 else ""))
    parts = [link + (f" — {authors}" if authors else "")]
    if paper.pdf_url:
        parts.append(f' (<a href="{escape(paper.pdf_url)}">PDF</a>)')
    if shown != paper.title:
        parts.append(f"<br>{escape(paper.title)}")
    if full:
        parts.append(_details(paper, notes, language))
    return f"<li>{''.join(parts)}</li>"


def _details(paper: Paper, notes: ShowNotes, language: str) -> str:
    parts = [f"<br>{escape(notes.one_line)}"] if notes.one_line else []
    if paper.digest and not paper.digest.full and paper.digest.note:
        reason = i18n.phrases(language).abstract_only.format(reason=paper.digest.note)
        parts.append(f"<br>{escape(reason)}")
    labels = i18n.phrases(language).note_labels
    facts = [(label, getattr(notes, name)) for name, label in labels if getattr(notes, name)]
    if facts:
        parts.append("<ul>" + "".join(f"<li>{escape(label)}{_colon(language)}{escape(value)}</li>"
                                      for label, value in facts) + "</ul>")
    if notes.stars:
        stars = "★" * notes.stars + "☆" * (5 - notes.stars)
        reason = f" {escape(notes.star_reason)}" if notes.star_reason else ""
        parts.append(f"<p>{stars}{reason}</p>")
    return "".join(parts)


# Characters XML 1.0 cannot hold at all: one of them makes the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _add(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _NOT_XML.sub("", text)
    return element
