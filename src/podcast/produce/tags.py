"""The episode's ID3 tags: title, show, day, language, description, the transcript, the cover
and chapters (in their own module, so that mutagen is loaded only when an episode is made)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TCON,
    TDRC,
    TIT2,
    TLAN,
    TLEN,
    TPE1,
    USLT,
    CTOCFlags,
    PictureType,
)
from mutagen.id3 import Encoding as TextEncoding
from mutagen.id3._tags import save_frame  # private, for _ChaptersInOrder
from mutagen.mp3 import MP3

from ..errors import AudioError
from ..models import Chapter


@dataclass(frozen=True)
class Tags:
    title: str
    artist: str
    album: str
    day: date
    language: str
    description: str
    transcript: str
    artwork: tuple[bytes, str] | None = None  # image bytes and MIME type



class _ChaptersInOrder(ID3):
    """ID3 tags that write CHAP frames in the order of their start times. mutagen orders frames
    by size; the CTOC frame gives the order, but ffmpeg (and the players built on it) list
    chapters as they come in the file."""

    def _write(self, config: object) -> bytes:
        chapters = sorted(self.getall("CHAP"), key=lambda frame: frame.start_time)
        self.delall("CHAP")
        try:
            data = super()._write(config)
        finally:
            for frame in chapters:
                self.add(frame)
        return bytes(data) + b"".join(save_frame(frame, config=config) for frame in chapters)


def write_tags(path: Path, tags: Tags, chapters: Sequence[Chapter], duration: float) -> None:
    """ID3v2.3 tags (which keep Chinese intact in every player we know) with chapters."""
    utf16 = TextEncoding.UTF16
    try:
        frames = _ChaptersInOrder()
        MP3(path)  # raises if it is not an MP3
        lang = "chi" if tags.language.startswith("zh") else "eng"
        for frame in (
            TIT2(encoding=utf16, text=tags.title),
            TPE1(encoding=utf16, text=tags.artist),
            TALB(encoding=utf16, text=tags.album),
            TDRC(encoding=utf16, text=tags.day.isoformat()),
            TCON(encoding=utf16, text="Podcast"),
            TLAN(encoding=utf16, text=lang),
            TLEN(encoding=utf16, text=str(int(duration * 1000))),
            COMM(encoding=utf16, lang=lang, desc="", text=tags.description),
            USLT(encoding=utf16, lang=lang, desc="", text=tags.transcript),
        ):
            frames.add(frame)
        if tags.artwork:
            data, mime = tags.artwork
            frames.add(APIC(encoding=utf16, mime=mime, type=PictureType.COVER_FRONT, desc="Cover",
                            data=data))
        ids = [f"chp{i}" for i in range(len(chapters))]
        frames.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                        child_element_ids=ids, sub_frames=[TIT2(encoding=utf16, text=tags.title)]))
        for element_id, chapter in zip(ids, chapters, strict=True):
            frames.add(CHAP(element_id=element_id, start_time=round(chapter.start * 1000),
                            end_time=round(chapter.end * 1000),
                            sub_frames=[TIT2(encoding=utf16, text=chapter.title)]))
        frames.save(path, v2_version=3)
    except MutagenError as exc:
        raise AudioError(f"{path}: cannot write ID3 tags: {exc}") from exc
