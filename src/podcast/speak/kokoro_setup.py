"""``python -m podcast.speak.kokoro_setup``: Kokoro-82M's model and every voice prepared ahead of
time in the user's folder (``$PODCAST_MODELS``, else the user's cache), each checked by its
SHA-256; one line saying where, or what failed. ``scripts/setup neural`` runs it.

A module of its own, which the speak package does not import, so that running it as a script
does not import it twice.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping

from ..errors import PodcastError
from .kokoro_files import MODEL, VOICES, Where, folders, obtain


def main(env: Mapping[str, str] = os.environ, say: Callable[[str], None] = print) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    where = Where(folders=folders(None, env)[:1])
    try:
        files = obtain(where, sorted(VOICES))
    except PodcastError as exc:
        print(f"podcast: error: {exc}", file=sys.stderr)
        return 1
    say(f"Kokoro-82M is ready in {files.model.parent}: {MODEL} and {len(files.voices)} voices.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
