"""Files that ship with podcast: the sample papers and the voices folder (presets, lexicon, music)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent

SAMPLE_PAPERS = _PACKAGE / "data" / "sample_papers.json"


def voices_dir() -> Path:
    """``voices/`` inside an installed wheel, or at the top of a source checkout."""
    for candidate in (_PACKAGE / "voices", _PACKAGE.parent.parent / "voices"):
        if (candidate / "presets.toml").is_file():
            return candidate
    raise FileNotFoundError(f"voices folder with presets.toml not found near {_PACKAGE}")
