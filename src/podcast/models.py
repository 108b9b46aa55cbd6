"""Typed data passed between the stages: papers in, a script, spoken sections, an episode out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from . import i18n
from .schema import between, check, email, one_of, positive_number, timezone

if TYPE_CHECKING:
    from pydub import AudioSegment

# New-style (2409.17581, with optional version) and old-style (cs/0102536) arXiv ids.
_ARXIV_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(v\d+)?", re.IGNORECASE)
# Pages that stand for one arXiv paper: arXiv's own (abs, pdf, html; export., www. and any
# version), Hugging Face papers, alphaXiv, Papers with Code's arxiv/ pages (and its paper/ pages
# when they are named by the id), and the DOI arXiv gives every paper (10.48550/arXiv.<id>).
_ARXIV_LINK = re.compile(
    r"(?:(?:^|[/.])arxiv\.org/(?:abs|pdf|html)"
    r"|(?:^|[/.])huggingface\.co/papers"
    r"|(?:^|[/.])alphaxiv\.org/(?:abs|overview|pdf)"
    r"|(?:^|[/.])paperswithcode\.com/(?:arxiv|paper))"
    r"/([^\s?#]+?)(?:\.pdf)?/?(?:[?#]|$)",
    re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*)?10\.48550/arxiv\.(.+)$",
                        re.IGNORECASE)
_PREFIXED_ID = re.compile(r"^(?:oai:arxiv\.org:|arxiv:\s*)(.+)$", re.IGNORECASE)


#: the show's formats ([show] format): the seed's one-host broadcast, two hosts talking a paper
#: through, and a brief of a sentence or two a paper
BROADCAST, CONVERSATION, BRIEF = "broadcast", "conversation", "brief"
FORMATS = (BROADCAST, CONVERSATION, BRIEF)


@dataclass(frozen=True)
class HostConfig:
    """One voice of a conversation as [show.hosts.host] or [show.hosts.analyst] gives it; what
    is left empty comes from voices/presets.toml."""

    name: str = ""  # said and shown in the transcripts and the feed
    role: str = ""
    voice: str = ""  # in the [tts] engine
    #: engine → this host's voice in it ([show.hosts.*] edge_voice, espeak_voice), over ``voice``
    voices: dict[str, str] = field(default_factory=dict, metadata={"internal": True})

    def voice_in(self, engine: str, configured: str) -> str:
        """This host's voice in ``engine``, when given; ``configured``: the [tts] engine."""
        return self.voices.get(engine) or (self.voice if engine == configured else "")


@dataclass(frozen=True)
class HostsConfig:
    """[show.hosts]: a conversation's two voices, the host and the analyst."""

    host: HostConfig = field(default_factory=HostConfig)
    analyst: HostConfig = field(default_factory=HostConfig)

    def __iter__(self) -> Iterator[HostConfig]:
        return iter((self.host, self.analyst))


@dataclass(frozen=True)
class ShowConfig:
    """The show itself ([show] in podcast.toml): what every stage and the feed say about it."""

    title: str = ""
    author: str = "podcast"
    email: str = field(default="", metadata=check(email))
    language: str = field(default="zh-CN", metadata=one_of(*i18n.LANGUAGES))
    timezone: str = field(default="Asia/Shanghai", metadata=check(timezone))
    max_papers: int = field(default=5, metadata=between(1, 10))
    target_minutes: float = field(default=8.0, metadata=check(positive_number))
    description: str = ""
    #: the show's cover: a square PNG or JPEG, 1400-3000 px; unset: drawn from the title
    artwork: Path | None = None
    format: str = field(default=BROADCAST, metadata=one_of(*FORMATS))
    #: [show.hosts]: a conversation's voices, their names and roles (config.py reads it)
    hosts: HostsConfig = field(default_factory=HostsConfig, metadata={"internal": True})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def arxiv_id(text: str) -> str | None:
    """The bare arXiv id (no version) that ``text`` names, else None: an id ("2409.17581v3",
    "arXiv:2409.17581", "hep-th/9901001"), an oai: guid, the paper's DOI (bare or as a doi.org
    link), or a link to the paper on arXiv, Hugging Face, alphaXiv or Papers with Code.
    Every source finds its ids here, so one paper has one id whichever way it is linked."""
    text = text.strip()
    for form in (_PREFIXED_ID, _ARXIV_DOI):
        found = form.match(text)
        if found:
            text = found.group(1).strip()
    link = _ARXIV_LINK.search(text)
    if link:
        text = link.group(1)
    match = _ARXIV_ID.fullmatch(text)
    return match.group(1) if match else None


def abs_url(paper_id: str) -> str:
    return f"https://arxiv.org/abs/{paper_id}"


def pdf_url(paper_id: str) -> str:
    # The API stopped sending pdf links for a while in 2025: build them from the id.
    return f"https://arxiv.org/pdf/{paper_id}"



def bare_id(paper_id: str) -> str:
    """An arXiv id without its version (a revised paper is the same paper); other ids as given."""
    return arxiv_id(paper_id) or paper_id.strip()


DIGEST_SECTIONS = ("introduction", "method", "results", "conclusion", "limitations")


@dataclass(frozen=True)
class Digest:
    """A paper read in full, boiled down to what a writer needs: the sections that matter (by
    kind, one of :data:`DIGEST_SECTIONS`, in reading order), its table and figure captions, and
    the sentences that state its headline figures. ``source`` says where it was read ("html",
    "pdf", "web", or "file": given with the paper); "abstract" when it could not be read in full,
    ``note`` saying why."""

    source: str = "abstract"
    sections: tuple[tuple[str, str], ...] = ()
    captions: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    note: str = ""

    @property
    def full(self) -> bool:
        """Whether there is more to read than the abstract."""
        return self.source != "abstract" and bool(self.sections or self.figures)

    def section(self, kind: str) -> str:
        """The text of every section of ``kind``, in reading order."""
        return "\n\n".join(text for name, text in self.sections if name == kind)

    def text(self) -> str:
        """Everything it holds, as one text (what a figure may be grounded in)."""
        return "\n\n".join([*(text for _, text in self.sections), *self.captions, *self.figures])

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"source": self.source,
                                "sections": [list(section) for section in self.sections],
                                "captions": list(self.captions), "figures": list(self.figures),
                                "note": self.note}
        return {key: value for key, value in data.items() if value not in ("", [])}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Digest:
        """Its JSON form: ``sections`` a list of [kind, text] pairs or an object by kind;
        raises TypeError/ValueError on bad input."""
        raw = data.get("sections") or []
        pairs = list(raw.items()) if isinstance(raw, dict) else raw
        sections = []
        for pair in pairs:
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2
                    and all(isinstance(x, str) for x in pair)):
                raise TypeError("digest sections must be [kind, text] pairs of strings")
            if pair[0] not in DIGEST_SECTIONS:
                raise ValueError(f"digest section {pair[0]!r} is not one of "
                                 f"{', '.join(DIGEST_SECTIONS)}")
            if pair[1].strip():
                sections.append((pair[0], pair[1].strip()))
        return cls(
            source=str(data.get("source") or "file"),
            sections=tuple(sections),
            captions=tuple(_strings(data, "captions")),
            figures=tuple(_strings(data, "figures")),
            note=str(data.get("note") or ""),
        )


@dataclass(frozen=True)
class Paper:
    """A paper as every stage sees it, whatever source it came from.

    ``id`` is the bare arXiv id (no version) when there is one, else a stable id from the link
    (``web:<hash>``); the same paper from two sources, two categories or two versions is one id.
    """

    id: str
    title: str
    summary: str
    authors: tuple[str, ...] = ()
    url: str = ""
    published: date | None = None
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    title_zh: str = ""
    summary_zh: str = ""
    upvotes: int | None = None  # Hugging Face Daily Papers votes, when a source knows them
    digest: Digest | None = None  # the paper read in full, once it is picked (or given with it)
    digest_zh: Digest | None = None  # the same in Chinese, when a papers file gives one

    @property
    def is_arxiv(self) -> bool:
        """Whether the id is an arXiv id (not a web: link's, nor a papers file's own)."""
        return arxiv_id(self.id) == self.id

    @property
    def pdf_url(self) -> str:
        return pdf_url(self.id) if self.is_arxiv else ""

    def title_for(self, language: str) -> str:
        """The title in the show language when we have it, else the original."""
        if language.startswith("zh") and self.title_zh:
            return self.title_zh
        return self.title

    def summary_for(self, language: str) -> str:
        if language.startswith("zh") and self.summary_zh:
            return self.summary_zh
        return self.summary

    def digest_for(self, language: str) -> Digest | None:
        """The digest in the show language when we have it, else the original (or None)."""
        if language.startswith("zh") and self.digest_zh:
            return self.digest_zh
        return self.digest

    def merged(self, other: Paper) -> Paper:
        """This paper completed with what another source knows about it."""
        return replace(
            self,
            summary=self.summary if len(self.summary) >= len(other.summary) else other.summary,
            authors=self.authors or other.authors,
            url=self.url or other.url,
            published=self.published or other.published,
            categories=_union(self.categories, other.categories),
            sources=_union(self.sources, other.sources),
            title_zh=self.title_zh or other.title_zh,
            summary_zh=self.summary_zh or other.summary_zh,
            upvotes=max((v for v in (self.upvotes, other.upvotes) if v is not None), default=None),
            digest=self.digest or other.digest,
            digest_zh=self.digest_zh or other.digest_zh,
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "authors": list(self.authors),
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
            "categories": list(self.categories),
            "sources": list(self.sources),
            "title_zh": self.title_zh,
            "summary_zh": self.summary_zh,
            "upvotes": self.upvotes,
            "digest": self.digest.to_dict() if self.digest else None,
            "digest_zh": self.digest_zh.to_dict() if self.digest_zh else None,
        }
        return {key: value for key, value in data.items() if value not in ("", None, [])}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Paper:
        """Build a paper from its JSON form; raises KeyError/TypeError/ValueError on bad input."""
        published = data.get("published")
        upvotes = data.get("upvotes")
        if upvotes is not None and (isinstance(upvotes, bool) or not isinstance(upvotes, int)):
            raise TypeError("upvotes must be a whole number")
        sources = _strings(data, "sources") or _strings(data, "source")
        return cls(
            id=bare_id(_text(data, "id")),
            title=_text(data, "title"),
            summary=_summary(data),
            authors=tuple(_strings(data, "authors")),
            url=_text(data, "url", required=False),
            published=date.fromisoformat(published[:10]) if published else None,
            categories=tuple(_strings(data, "categories")),
            sources=tuple(sources),
            title_zh=_text(data, "title_zh", required=False),
            summary_zh=_text(data, "summary_zh", required=False),
            upvotes=upvotes,
            digest=_digest(data.get("digest")),
            digest_zh=_digest(data.get("digest_zh")),
        )


def _digest(value: Any) -> Digest | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError("digest must be an object")
    return Digest.from_dict(value)


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return first + tuple(item for item in second if item not in first)


def _summary(data: dict[str, Any]) -> str:
    """The abstract; a paper known only by its Chinese summary still has one."""
    summary = _text(data, "summary", required=False) or _text(data, "summary_zh", required=False)
    if not summary:
        raise KeyError("summary")
    return summary


def _text(data: dict[str, Any], key: str, required: bool = True) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise KeyError(key)
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{key} must be a string")
    return value.strip()


def _strings(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key) or []
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"{key} must be a list of strings")
    return [item for item in value if item]


@dataclass(frozen=True)
class Pick:
    """A paper chosen for the show, with why it was chosen."""

    paper: Paper
    score: float
    topics: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


#: what a :class:`Reference` tells of a paper
LIBRARY, RATED_UP, RATED_DOWN = "library", "up", "down"


@dataclass(frozen=True)
class Reference:
    """A paper the team has told us about: one kept in its library (Zotero, a BibTeX export, a
    list of ids) or one it rated up or down. Ranking moves papers like the kept and liked ones
    up, and papers like the disliked ones down; the more recent ``added``, the more it counts."""

    paper: Paper  # its id (the bare arXiv id when known), title and abstract at least
    kind: str = LIBRARY  # LIBRARY, RATED_UP or RATED_DOWN
    added: date | None = None  # when it entered the library or was rated


@dataclass(frozen=True)
class ShowNotes:
    """What the show notes say about one paper, beyond its authors and links: a digest's
    structure (background, problem and challenges, method, innovation, results with their
    figures, conclusion) and a recommendation."""

    title: str = ""  # in the show's language, as spoken; the original title stays on the paper
    one_line: str = ""
    problem: str = ""  # and its challenges
    method: str = ""
    innovation: str = ""
    results: str = ""  # with the paper's own figures
    stars: int | None = None  # 1-5, how strongly the show recommends reading it
    star_reason: str = ""
    background: str = ""
    conclusion: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShowNotes:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Host:
    """One of the show's voices as listeners know it: its name, said and shown in transcripts
    and the feed, and its part in a conversation (the host guides and asks, the analyst has read
    the paper), in the show's language."""

    name: str
    role: str


@dataclass(frozen=True)
class Segment:
    """One paper's part of the script: speech-ready paragraphs in reading order."""

    number: int
    paper_id: str
    title: str
    parts: tuple[str, ...]
    notes: ShowNotes = ShowNotes()
    thoughts_at: int = -1  # the index in parts where "my thoughts" begins (the second voice)
    chapter: str = ""  # its chapter's title, when not "paper N: title" (a recap's themes)
    #: who says each part, an index into Script.hosts (a conversation's turns); empty: the
    #: first voice, and the second from thoughts_at on
    speakers: tuple[int, ...] = ()

    def speaker(self, index: int) -> int:
        """Who says part ``index``: 0 the first voice (the host), 1 the second."""
        if self.speakers:
            return self.speakers[index]
        return int(0 <= self.thoughts_at <= index)


@dataclass(frozen=True)
class Section:
    """A stretch of the show spoken in one go; becomes one chapter of the episode."""

    title: str
    parts: tuple[str, ...]
    speakers: tuple[int, ...] = ()  # who says each part (index into Script.hosts); empty: 0

    def speaker(self, index: int) -> int:
        return self.speakers[index] if self.speakers else 0


@dataclass(frozen=True)
class Script:
    language: str
    greeting: str
    intro: str
    segments: tuple[Segment, ...]
    closing: str
    format: str = BROADCAST
    #: the voices by name, in order (the first says the greeting and the closing); empty: one
    #: unnamed host (a broadcast, whose second voice only reads "my thoughts")
    hosts: tuple[Host, ...] = ()

    def sections(self) -> list[Section]:
        words = i18n.phrases(self.language)
        opening = Section(words.opening_title, (self.greeting, self.intro))
        papers = [
            Section(seg.chapter or words.chapter_title.format(n=seg.number, title=seg.title),
                    seg.parts, tuple(seg.speaker(i) for i in range(len(seg.parts))))
            for seg in self.segments
        ]
        return [opening, *papers, Section(words.closing_title, (self.closing,))]

    def said_by(self, speaker: int) -> str:
        """The name of voice ``speaker`` when the show names its voices, else ""."""
        return self.hosts[speaker].name if speaker < len(self.hosts) else ""

    def text(self) -> str:
        """The transcript: paragraphs separated by blank lines; in a show that names its voices,
        each turn after the name of who says it ("云扬：…")."""
        if not self.hosts:
            return "\n\n".join("\n\n".join(section.parts) for section in self.sections()) + "\n"
        paragraphs = []
        for section in self.sections():
            last = None
            for index, part in enumerate(section.parts):
                speaker = section.speaker(index)
                name = self.said_by(speaker) if speaker != last else ""
                paragraphs.append(i18n.said_by(name, part, self.language))
                last = speaker
        return "\n\n".join(paragraphs) + "\n"


@dataclass(frozen=True)
class Cue:
    """A sentence and when it is said, in seconds; and who says it, when the show names its
    voices (a conversation)."""

    start: float
    end: float
    text: str
    speaker: str = ""


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float
    end: float


@dataclass(frozen=True)
class Pauses:
    """Silences the production adds, in seconds."""

    sentence: float = 0.25  # seconds, between sentences synthesised apart
    part: float = 0.65  # between paragraphs
    section: float = 1.3  # after the greeting and before the closing
    paper: float = 1.3  # from one paper to the next, around the sting
    turn: float = 0.25  # between a conversation's turns (its ``part``)

    def of(self, format: str) -> Pauses:
        """The pauses of a show of ``format``: a conversation's parts are turns, closer."""
        return replace(self, part=self.turn) if format == CONVERSATION else self


@dataclass(frozen=True)
class Voice:
    """One engine's settings for the show, the preset with the config's overrides applied."""

    language: str
    voice: str
    thoughts_voice: str  # empty: the host voice says the thoughts too
    units_per_minute: float
    pauses: Pauses
    options: Any  # the engine's Options, completed from the preset
    trim: float = 0.0  # seconds of silence around a paragraph that assembly trims off
    #: a conversation's voices: the host's, then the analyst's, never the same
    cast: tuple[str, ...] = ()


@dataclass(frozen=True)
class Level:
    """How loud a piece of audio is: its RMS level and its sample peak, dBFS."""

    rms: float
    peak: float


@dataclass(frozen=True)
class Utterance:
    """A paragraph spoken: its audio (or a file holding it) and when each of its sentences is
    said; its level when it was measured as it was spoken."""

    audio: AudioSegment | Path
    cues: tuple[Cue, ...]
    level: Level | None = None


@dataclass(frozen=True)
class SpokenSection:
    title: str
    parts: tuple[Utterance, ...]


@dataclass(frozen=True)
class ProducedAudio:
    """An encoded, tagged MP3 on local disk, not yet published."""

    path: Path
    duration: float
    chapters: tuple[Chapter, ...]
    cues: tuple[Cue, ...] = ()  # every sentence's time on the episode's timeline


HISTORY_WEEKS = 4  # a recap's trend compares its week with this many before it
MIN_HISTORY_WEEKS = 3  # ...of which at least this many had an episode, or it claims no trend


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week: Monday to Sunday, numbered as ISO 8601 numbers it ("2026-W47")."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        match = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text.strip(), re.IGNORECASE)
        if not match:
            raise ValueError(f"{text!r} is not a week of the form 2026-W47")
        week = cls(int(match[1]), int(match[2]))
        if not 1 <= week.number <= date(week.year, 12, 28).isocalendar().week:
            raise ValueError(f"{week.year} has no week {week.number}")
        return week

    @classmethod
    def of(cls, day: date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def first(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def last(self) -> date:
        return self.first + timedelta(days=6)

    def before(self, weeks: int = 1) -> Week:
        return Week.of(self.first - timedelta(weeks=weeks))

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"


def default_week(today: date) -> Week:
    """The week a recap made ``today`` covers: this one from Friday on (the recap's day), the
    one before earlier in the week, when this one has barely started."""
    week = Week.of(today)
    return week if today.weekday() >= 4 else week.before()


@dataclass(frozen=True)
class WeekPapers:
    """What was broadcast in a week, in broadcast order, with what the shows noted on each."""

    week: Week
    papers: tuple[Paper, ...]
    notes: dict[str, ShowNotes]
    days: tuple[date, ...]  # the days with an episode
    earlier: tuple[Paper, ...]  # broadcast in the HISTORY_WEEKS before, for the trend
    earlier_weeks: int = 0  # how many of those weeks had an episode

    @property
    def has_history(self) -> bool:
        """Whether enough earlier weeks had episodes to say what grew (MIN_HISTORY_WEEKS)."""
        return self.earlier_weeks >= MIN_HISTORY_WEEKS


@dataclass(frozen=True)
class Theme:
    """Papers of a recap grouped under one name, with what the week brought in it."""

    name: str
    summary: str
    paper_ids: tuple[str, ...]


@dataclass(frozen=True)
class Recap:
    """What makes an episode a weekly recap: its ISO week, the themes, the trend and advice."""

    week: str  # "2026-W47"
    themes: tuple[Theme, ...]
    trend: str = ""
    advice: tuple[str, ...] = ()  # concrete recommendations for the listeners' project

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "trend": self.trend, "advice": list(self.advice),
                "themes": [{"name": t.name, "summary": t.summary, "papers": list(t.paper_ids)}
                           for t in self.themes]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recap:
        themes = tuple(Theme(t["name"], t["summary"], tuple(t["papers"])) for t in data["themes"])
        return cls(data["week"], themes, data.get("trend", ""), tuple(data.get("advice", ())))


@dataclass(frozen=True)
class Episode:
    """A published episode as the store and the feed know it."""

    date: date
    guid: str
    title: str
    audio_name: str
    audio_bytes: int
    duration: float
    transcript_name: str
    chapters: tuple[Chapter, ...]
    papers: tuple[Paper, ...]
    published_at: datetime
    revision: int = 1
    language: str = "zh-CN"
    notes: dict[str, ShowNotes] = field(default_factory=dict)  # by paper id
    usage: dict[str, Any] = field(default_factory=dict)  # the writing's cost: calls, tokens, money
    captions: tuple[str, ...] = ()  # published timed transcripts (WebVTT first, then SRT)
    voice_note: str = ""  # said in the show notes when the offline voice stood in
    chapters_name: str = ""  # the published Podcasting 2.0 chapters file (JSON)
    page_name: str = ""  # the episode's own web page
    removed: bool = False  # its files were removed by [publish] keep_episodes
    recap: Recap | None = None  # set on a weekly recap (a bonus episode), None on a daily one
    format: str = BROADCAST  # its script's (FORMATS)
    hosts: tuple[Host, ...] = ()  # a conversation's voices by name, as its script had them

    @property
    def key(self) -> str:
        """What identifies it in the store: its day, or a recap's week."""
        return self.recap.week if self.recap else self.date.isoformat()

    @property
    def kind(self) -> str:
        return "recap" if self.recap else "daily"

    @property
    def files(self) -> tuple[str, ...]:
        """Every file the episode published."""
        names = (self.audio_name, self.transcript_name, *self.captions, self.chapters_name,
                 self.page_name)
        return tuple(name for name in names if name)
