"""The show's cover artwork: the user's own file, checked, or one drawn here from the show
title.

The drawn cover is a diagonal gradient with a soft glow, a sound-wave motif of rounded bars, the
title in large bold type (wrapped to at most three lines and fitted to the space) and the
subtitle below it. Colours and the wave's shape come from a hash of the title, so a show keeps
its cover from run to run. Text is set in Noto Sans SC Bold, subset to Latin-1 and the 3,755
common hanzi of GB2312 level 1 (``voices/fonts``, made by ``scripts/make-font-subset``); a
title character outside the subset is left out with a warning. Apple Podcasts wants a square
PNG or JPEG of 1400 to 3000 px in RGB without transparency, so that is what is drawn and checked.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import itertools
import logging
import math
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .. import voices_dir
from ..errors import ConfigError

log = logging.getLogger(__name__)

MIN_SIZE, MAX_SIZE = 1400, 3000
ARTWORK_VERSION = 1  # bump when the drawing changes, so cached covers are drawn again
FONT_FILE = "NotoSansSC-Bold-subset.ttf"
_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg"}  # MPO: a camera JPEG

# Fractions of the side: the box the title is fitted into, and the largest and smallest type.
_TITLE_BOX = (0.08, 0.50, 0.92, 0.84)  # left, top, right, bottom
_TITLE_MAX, _TITLE_MIN = 0.17, 0.055
_LINE_PITCH = 1.2  # line spacing, in ems
_MAX_LINES = 3
_BARS = 29
_SUPERSAMPLE = 3  # the wave is drawn this much larger and scaled down, for smooth edges

# A title is cut into atoms: a Latin word or one CJK character, with any opening punctuation
# before it and closing punctuation after it. Lines break between atoms.
_HAN = "\u2e80-\u9fff\uf900-\ufaff"  # CJK radicals, symbols and punctuation, kana, ideographs
_OPENING, _CLOSING = "〈《「『【〔（［｛‘“", "、。〉》」』】〕！），．：；？］｝’”"
_ATOM = re.compile(
    rf"\s*[{_OPENING}]*(?:[{_HAN}]|[^\s{_HAN}{_OPENING}{_CLOSING}]+|\S)[{_CLOSING}]*")
_IDEOGRAPH = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=8)
def render_artwork(title: str, subtitle: str = "", size: int = MIN_SIZE) -> bytes:
    """A square RGB PNG of ``size`` px: the show's cover, the same bytes for the same arguments
    (drawn once a process)."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"artwork size must be {MIN_SIZE}..{MAX_SIZE} px, not {size}")
    digest = hashlib.sha256(title.encode()).digest()
    hue = digest[0] / 256
    image = _background(size, hue)
    _draw_wave(image, digest, hue)
    draw = ImageDraw.Draw(image)
    title, subtitle = _drawable(title), _drawable(subtitle)
    if title:
        _draw_title(draw, title, size)
    if subtitle:
        font, text = _fit_line(subtitle, size * 0.80, size * 0.048, size * 0.032)
        draw.text((size / 2, size * 0.915), text, font=font, fill=_rgb(hue, 0.12, 0.92),
                  anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def check_artwork(path: Path) -> str:
    """The MIME type of the user's artwork file, after checking Apple's rules; else ConfigError
    naming the first rule it breaks."""
    mime, faults = inspect_artwork(path)
    if faults:
        raise ConfigError(f"artwork {path}: {faults[0].problem}")
    assert mime is not None
    return mime


@dataclass(frozen=True)
class ArtworkFault:
    """A rule of Apple's for show artwork that an image breaks."""

    rule: str  # "readable", "format", "square", "size" or "colour"
    problem: str  # what the image is and what it must be: "is GIF; it must be PNG or JPEG"


def inspect_artwork(source: Path | bytes) -> tuple[str | None, list[ArtworkFault]]:
    """The image's MIME type (None unless PNG or JPEG) and every rule of Apple's it breaks: a
    square PNG or JPEG of 1400 to 3000 px, RGB without transparency. An unreadable file breaks
    "readable" and is looked at no further."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
                kind, (width, height), mode = image.format, image.size, image.mode
                transparent = "A" in mode or "transparency" in image.info
                image.load()  # a truncated or corrupt file fails here
    except (OSError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        reason = (exc.strerror if isinstance(exc, OSError) and exc.strerror
                  else "not a readable PNG or JPEG image")
        return None, [ArtworkFault("readable", reason)]
    faults = []
    if kind not in _MIME:
        faults.append(ArtworkFault("format", f"is {kind}; it must be PNG or JPEG"))
    if width != height:
        faults.append(ArtworkFault("square", f"is {width}x{height} px; it must be square"))
    if not (MIN_SIZE <= width <= MAX_SIZE and MIN_SIZE <= height <= MAX_SIZE):
        faults.append(ArtworkFault("size", f"is {width}x{height} px; "
                                           f"it must be {MIN_SIZE} to {MAX_SIZE} px square"))
    if transparent or mode == "CMYK":
        what = f"{mode} with transparency" if transparent else mode
        faults.append(ArtworkFault("colour", f"is {what}; it must be RGB without transparency"))
    return _MIME.get(kind or ""), faults


def show_artwork(
    path: Path | None, title: str, subtitle: str, cache_dir: Path
) -> tuple[bytes, str]:
    """The cover as (bytes, MIME type): the user's file at ``path``, or one drawn from the title
    and cached in ``cache_dir`` so it is drawn once per title, subtitle and ARTWORK_VERSION."""
    if path is not None:
        mime = check_artwork(path)
        try:
            return path.read_bytes(), mime
        except OSError as exc:
            raise ConfigError(f"artwork {path}: {exc.strerror}") from exc
    key = hashlib.sha256(f"{ARTWORK_VERSION}\0{title}\0{subtitle}".encode()).hexdigest()[:16]
    cached = cache_dir / f"artwork-{key}.png"
    try:
        return cached.read_bytes(), "image/png"
    except OSError:  # not drawn yet
        pass
    data = render_artwork(title, subtitle)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{cached.name}.", dir=cache_dir)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, cached)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.warning("cannot cache the artwork in %s: %s", cache_dir, exc.strerror or exc)
    return data, "image/png"


# -- drawing ------------------------------------------------------------------------------------


def _rgb(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def _background(size: int, hue: float) -> Image.Image:
    """A deep diagonal gradient, lighter towards the bottom right, with a glow behind the wave."""
    ramp = Image.linear_gradient("L")
    diagonal = Image.blend(ramp, ramp.transpose(Image.Transpose.ROTATE_270), 0.5)
    diagonal = diagonal.resize((size, size), Image.Resampling.BICUBIC)
    image = Image.composite(
        Image.new("RGB", (size, size), _rgb(hue + 0.07, 0.80, 0.58)),
        Image.new("RGB", (size, size), _rgb(hue, 0.75, 0.20)),
        diagonal,
    )
    glow = Image.radial_gradient("L").point(lambda v: round(max(0, 255 - 2 * v) * 0.45))
    mask = Image.new("L", (size, size))
    # on the wave
    mask.paste(glow.resize((size, size), Image.Resampling.BICUBIC), (0, round(size * -0.22)))
    image.paste(_rgb(hue - 0.05, 0.45, 1.0), (0, 0), mask)
    return image


def _draw_wave(image: Image.Image, digest: bytes, hue: float) -> None:
    """Rounded bars like an audio level meter, tallest in the middle; heights from the hash."""
    size = image.width
    left, top, width, height = (round(size * f) for f in (0.16, 0.14, 0.68, 0.28))
    scale = _SUPERSAMPLE
    mask = Image.new("L", (width * scale, height * scale))
    draw = ImageDraw.Draw(mask)
    pitch = width * scale / _BARS
    bar = pitch * 0.55
    phases = [digest[i] / 256 * 2 * math.pi for i in (1, 2, 3)]
    for i in range(_BARS):
        x = (i + 0.5) / _BARS
        envelope = math.sin(math.pi * x) ** 1.5
        wobble = (math.sin(9 * x + phases[0]) + 0.6 * math.sin(17 * x + phases[1])
                  + 0.4 * math.sin(29 * x + phases[2]))
        level = max(0.08, envelope * (0.35 + 0.65 * min(1.0, abs(wobble) / 2)))
        half = max(bar / 2, level * height * scale / 2)
        centre_x, centre_y = (i + 0.5) * pitch, height * scale / 2
        draw.rounded_rectangle(
            (centre_x - bar / 2, centre_y - half, centre_x + bar / 2, centre_y + half),
            radius=bar / 2, fill=235,
        )
    mask = mask.resize((width, height), Image.Resampling.LANCZOS)
    image.paste(_rgb(hue - 0.08, 0.30, 1.0), (left, top), mask)


def _draw_title(draw: ImageDraw.ImageDraw, title: str, size: int) -> None:
    """The title, centred in its box, in the largest type that fits in at most three lines."""
    left, top, right, bottom = (round(f * size) for f in _TITLE_BOX)
    font, lines = _fit_title(title, right - left, bottom - top, size)
    pitch = font.size * _LINE_PITCH
    middle = (top + bottom) / 2
    for i, line in enumerate(lines):
        y = middle + (i - (len(lines) - 1) / 2) * pitch
        draw.text((size / 2, y), line, font=font, fill=(255, 255, 255), anchor="mm")


def _fit_title(
    title: str, width: float, height: float, size: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The font and lines for the title: every way to break it into one to three lines is tried
    and the one allowing the largest type wins, with a small handicap per extra line and per
    break between two hanzi (rather than at a space or after punctuation), which may split a
    word: "每日 AI 论文播报" breaks at the space."""
    reference = _font(100)
    atoms = _ATOM.findall(title)
    if len(atoms) > 60:  # too long to wrap nicely: the smallest type, cut short
        return _font(round(size * _TITLE_MIN)), _truncate_lines(title, width, size)
    widths: dict[tuple[int, int], float] = {}

    def line(start: int, end: int) -> str:
        return "".join(atoms[start:end]).strip()

    def line_width(start: int, end: int) -> float:
        if (start, end) not in widths:
            widths[start, end] = reference.getlength(line(start, end)) / 100
        return widths[start, end]

    best: tuple[float, float, float, list[str]] = (-1.0, 0.0, 0.0, [title])
    for count in range(1, min(_MAX_LINES, len(atoms)) + 1):
        for breaks in itertools.combinations(range(1, len(atoms)), count - 1):
            bounds = list(zip((0, *breaks), (*breaks, len(atoms)), strict=True))
            widest = max(line_width(start, end) for start, end in bounds)
            em = min(width / widest, height / (count * _LINE_PITCH), size * _TITLE_MAX)
            inner = sum(1 for b in breaks
                        if _IDEOGRAPH.match(atoms[b - 1][-1]) and _IDEOGRAPH.match(atoms[b][0]))
            score = em * 0.9 ** (count - 1) * 0.8**inner
            if (score, -widest) > best[:2]:  # on a tie, the more even lines
                best = (score, -widest, em, [line(start, end) for start, end in bounds])
    _, _, em, lines = best
    if em < size * _TITLE_MIN:
        return _font(round(size * _TITLE_MIN)), _truncate_lines(title, width, size)
    return _font(math.floor(em)), lines


def _truncate_lines(title: str, width: float, size: int) -> list[str]:
    """The title wrapped greedily in the smallest type, the third line ending in "…" if cut."""
    font = _font(round(size * _TITLE_MIN))
    lines: list[str] = []
    current = ""
    for atom in _ATOM.findall(title):
        if current and font.getlength((current + atom).strip()) > width:
            lines.append(current.strip())
            current = atom.lstrip()
        else:
            current += atom
    lines.append(current.strip())
    if len(lines) <= _MAX_LINES:
        return lines
    return [*lines[: _MAX_LINES - 1], _ellipsize(lines[_MAX_LINES - 1], font, width)]


def _fit_line(
    text: str, width: float, largest: float, smallest: float
) -> tuple[ImageFont.FreeTypeFont, str]:
    """One line of text in the largest type up to ``largest`` that fits ``width``; cut with "…"
    at ``smallest`` if even that is too wide."""
    em = min(largest, width / max(_font(100).getlength(text) / 100, 1e-6))
    if em >= smallest:
        return _font(math.floor(em)), text
    font = _font(math.floor(smallest))
    return font, _ellipsize(text, font, width)


def _ellipsize(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """``text`` cut after its last word or hanzi that leaves room for "…" within ``width``
    (inside the word if it is the first one)."""
    atoms = _ATOM.findall(text)
    while atoms and font.getlength("".join(atoms).strip() + "…") > width:
        if len(atoms) > 1:
            atoms.pop()
        else:
            atoms[0] = atoms[0][:-1]
    return "".join(atoms).strip() + "…"


# -- the font -----------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(voices_dir() / "fonts" / FONT_FILE), size)


@lru_cache(maxsize=1)
def _notdef() -> bytes:
    """The bitmap of the font's missing-glyph box (a private-use character is never in it)."""
    return bytes(_font(32).getmask("\ue000"))


@lru_cache(maxsize=1024)
def _has_glyph(char: str) -> bool:
    return char.isspace() or bytes(_font(32).getmask(char)) != _notdef()


def _drawable(text: str) -> str:
    """``text`` on one line, without the characters the font cannot draw (with a warning)."""
    text = " ".join(text.split())
    missing = sorted({char for char in text if not _has_glyph(char)})
    if missing:
        log.warning("the artwork font has no glyph for %s; left out of the cover",
                    " ".join(missing))
        text = " ".join("".join(char for char in text if char not in missing).split())
    return text
