"""The cover artwork: drawn from the title (Chinese or English), checked when the user gives one."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from PIL import Image, ImageFont

from podcast import voices_dir
from podcast.errors import ConfigError
from podcast.produce import artwork
from podcast.produce.artwork import check_artwork, render_artwork, show_artwork

TITLES = ["AI 论文早报", "每日 AI 论文播报", "Daily AI Papers"]
_TITLE_AREA = tuple(round(f * 1400) for f in artwork._TITLE_BOX)


def _ink(image: Image.Image) -> float:
    """The share of near-white pixels in the title area."""
    area = image.crop(_TITLE_AREA).convert("L").point(lambda v: 255 if v > 240 else 0)
    return area.histogram()[255] / (area.width * area.height)


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture(scope="module")
def untitled() -> Image.Image:
    return _open(render_artwork(""))


@pytest.mark.parametrize("title", TITLES)
def test_rendered_cover_is_a_square_rgb_png_with_the_title_drawn(title: str, untitled: Image.Image) -> None:
    data = render_artwork(title, "小明 Xiao Ming")
    image = _open(data)
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (1400, 1400))
    # The title area differs from the same cover drawn without a title: there is text in it.
    # (The background depends on the title's hash, so compare the amount of near-white ink.)
    assert _ink(image) > 0.04
    assert _ink(untitled) == 0


def test_the_same_title_gives_the_same_bytes() -> None:
    assert render_artwork("AI 论文早报", "小明") == render_artwork("AI 论文早报", "小明")
    assert render_artwork("AI 论文早报", "小明") != render_artwork("AI 论文晚报", "小明")


def test_the_font_has_real_glyphs_for_chinese_titles() -> None:
    font = ImageFont.truetype(str(voices_dir() / "fonts" / artwork.FONT_FILE), 64)
    notdef = font.getmask("\ue000")  # private use: never in the font, so drawn as .notdef
    assert notdef.getbbox() is not None  # the box is visible, so the comparison means something
    assert bytes(font.getmask("龘")) == bytes(notdef)  # a rare hanzi outside the subset
    for char in "".join(TITLES).replace(" ", "") + "论文，。《》“”—…éü":
        assert bytes(font.getmask(char)) != bytes(notdef), char


def test_characters_missing_from_the_font_are_left_out_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="podcast.artwork"):
        drawn = render_artwork("龘 AI 论文早报")
    assert "龘" in caplog.text
    assert _ink(_open(drawn)) > 0.04  # the rest of the title is on the cover


def test_titles_are_wrapped_into_at_most_three_lines() -> None:
    title = "A Very Long Podcast Title About Machine Learning Research Papers Every Single Morning"
    assert len(artwork._fit_title(title, 1176, 476, 1400)[1]) == 3
    _, lines = artwork._fit_title("每日 AI 论文播报", 1176, 476, 1400)
    assert lines == ["每日 AI", "论文播报"]  # broken at a space, evenly
    _, lines = artwork._fit_title("我们的“AI”论文，每天早上一集！", 1176, 476, 1400)
    assert lines == ["我们的“AI”论文，", "每天早上一集！"]  # after the comma, not inside a word
    assert artwork._fit_line("x" * 500, 1120, 67, 45)[1].endswith("xx…")


def test_size_outside_apples_range_is_refused() -> None:
    with pytest.raises(ValueError):
        render_artwork("Daily AI Papers", size=1000)


def _save(path: Path, size: tuple[int, int], format: str, mode: str = "RGB") -> Path:
    Image.new(mode, size, (30, 60, 90) if mode == "RGB" else (30, 60, 90, 128)).save(path, format=format)
    return path


def test_check_artwork_accepts_square_png_and_jpeg(tmp_path: Path) -> None:
    assert check_artwork(_save(tmp_path / "cover.png", (1400, 1400), "PNG")) == "image/png"
    assert check_artwork(_save(tmp_path / "cover.jpg", (3000, 3000), "JPEG")) == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "size", "format", "mode", "complaint"),
    [
        ("small.png", (1000, 1000), "PNG", "RGB", "1400 to 3000"),
        ("tall.jpg", (1400, 1500), "JPEG", "RGB", "square"),
        ("cover.gif", (1400, 1400), "GIF", "RGB", "PNG or JPEG"),
        ("alpha.png", (1400, 1400), "PNG", "RGBA", "transparency"),
    ],
)
def test_check_artwork_rejects_what_apple_rejects(
    tmp_path: Path, name: str, size: tuple[int, int], format: str, mode: str, complaint: str
) -> None:
    path = _save(tmp_path / name, size, format, mode)
    with pytest.raises(ConfigError) as caught:
        check_artwork(path)
    message = str(caught.value)
    assert str(path) in message and complaint in message and "\n" not in message


def test_check_artwork_rejects_a_text_file_and_a_missing_file(tmp_path: Path) -> None:
    text = tmp_path / "cover.png"
    text.write_text("not a picture\n", encoding="utf-8")
    for path in (text, tmp_path / "missing.png"):
        with pytest.raises(ConfigError) as caught:
            check_artwork(path)
        assert str(path) in str(caught.value)


def test_show_artwork_uses_the_users_file(tmp_path: Path) -> None:
    path = _save(tmp_path / "cover.jpg", (1400, 1400), "JPEG")
    assert show_artwork(path, "Daily AI Papers", "", tmp_path / "cache") == (path.read_bytes(), "image/jpeg")
    assert not (tmp_path / "cache").exists()


def test_show_artwork_draws_once_and_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    data, mime = show_artwork(None, "AI 论文早报", "小明", cache)
    assert mime == "image/png" and data == render_artwork("AI 论文早报", "小明")
    [cached] = cache.iterdir()
    stamp = cached.stat().st_mtime_ns

    def no_drawing(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("drawn again")

    monkeypatch.setattr(artwork, "render_artwork", no_drawing)
    assert show_artwork(None, "AI 论文早报", "小明", cache) == (data, "image/png")
    assert cached.stat().st_mtime_ns == stamp and list(cache.iterdir()) == [cached]
    with pytest.raises(AssertionError):  # another subtitle is another cover
        show_artwork(None, "AI 论文早报", "小红", cache)
