"""podcast: a daily spoken broadcast of new AI research papers, published as a podcast feed.

Stages: sources → select → write → speak → produce → publish, one package each, strung together
in :mod:`podcast.pipeline`; the CLI (:mod:`podcast.cli`) and the daemon (:mod:`podcast.daemon`)
are thin front ends.
"""

from pathlib import Path

__version__ = "0.1.0"

_PACKAGE = Path(__file__).resolve().parent
DATA_DIR = _PACKAGE / "data"  # the glossary and the sample papers


def voices_dir() -> Path:
    """``voices/`` (presets, lexicon, music, fonts) inside an installed wheel, or at the top of a
    source checkout."""
    for candidate in (_PACKAGE / "voices", _PACKAGE.parent.parent / "voices"):
        if (candidate / "presets.toml").is_file():
            return candidate
    raise FileNotFoundError(f"voices folder with presets.toml not found near {_PACKAGE}")
