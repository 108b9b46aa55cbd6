"""Stage 3, write: the script of an episode, in the show's frame and ready to be spoken.

A writer backend (:class:`Writer`, registered in :data:`WRITERS`) writes every kind of episode;
:func:`open_writer` picks the configured one, or the one that stands in for it when it cannot
work (a model writer without its API key).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from ..llm import LlmConfig
from ..registry import BackendConfig
from .base import (
    WRITERS,
    Brief,
    PaperText,
    RecapBrief,
    RecapText,
    WriteContext,
    Writer,
    compose_recap,
    compose_script,
)

__all__ = [
    "AUTO_WRITER",
    "WRITERS",
    "Brief",
    "PaperText",
    "RecapBrief",
    "RecapText",
    "WriteContext",
    "Writer",
    "compose_recap",
    "compose_script",
    "open_writer",
]

log = logging.getLogger(__name__)

# the first writer that can work (a model writer with its key), else the stand-in
AUTO_WRITER = "auto"


def open_writer(config: BackendConfig, llm: LlmConfig, env: Mapping[str, str],
                cache_dir: Path | None) -> tuple[Writer, str | None]:
    """The configured writer, or the stand-in when it lacks what it needs; and, then, why."""
    context = WriteContext(llm, env, cache_dir)
    stand_in = WRITERS.stand_in()
    if config.type == AUTO_WRITER:
        candidates = [cls(cls.Options(), context) for cls in WRITERS.classes() if not cls.stands_in]
        ready = [writer for writer in candidates if writer.missing() is None]
        if ready:
            return ready[0], None
        missing = candidates[0].missing() if candidates else None
        return stand_in(stand_in.Options(), context), missing
    writer = WRITERS.get(config.type)(config.options, context)
    missing = writer.missing()
    if missing is None:
        return writer, None
    log.warning('[writer] type = "%s" cannot work (%s); the %s writer writes the script.',
                config.type, missing, stand_in.name)
    return stand_in(stand_in.Options(), context), missing
