"""The ``folder`` target: a local directory, served by any static web server."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import PublishError
from .target import EPISODES_DIR, TARGETS, TYPES, PublishTarget

# what _write_temporary names its files: "." + the published name + "." + mkstemp's 8 characters
_TEMPORARY = re.compile(
    r"\..+(?:" + "|".join(re.escape(suffix) for suffix in TYPES) + r")\.[a-z0-9_]{8}")


@TARGETS.register("folder")
class FolderTarget(PublishTarget):
    """Writes into [publish] dir."""

    example = "folder"

    @property
    def root(self) -> Path:
        return self.config.dir

    def exists(self, name: str) -> bool:
        return (self.root / name).exists()

    def add(self, name: str, source: Path | bytes) -> None:
        destination = self.root / name
        temporary = self._write_temporary(destination, source)
        try:
            os.link(temporary, destination)  # fails if the name exists: nothing is overwritten
        except FileExistsError:
            raise PublishError(f"{destination}: already published; "
                               "published files are never rewritten") from None
        except OSError as exc:
            raise PublishError(f"{destination}: cannot publish: {exc.strerror}") from exc
        finally:
            temporary.unlink(missing_ok=True)

    def replace(self, name: str, data: bytes) -> None:
        self.replace_all([(name, data)])

    def replace_all(self, files: Sequence[tuple[str, bytes]]) -> None:
        """Every file written in full first (what can fail on a full disk), then each renamed
        over its old version."""
        written: list[tuple[Path, Path]] = []
        try:
            for name, data in files:
                destination = self.root / name
                written.append((self._write_temporary(destination, data), destination))
            while written:
                temporary, destination = written[0]
                try:
                    os.replace(temporary, destination)
                except OSError as exc:
                    raise PublishError(f"{destination}: cannot publish: {exc.strerror}") from exc
                written.pop(0)
        finally:
            for temporary, _ in written:
                temporary.unlink(missing_ok=True)

    def remove(self, names: Sequence[str]) -> None:
        for name in names:
            try:
                (self.root / name).unlink(missing_ok=True)
            except OSError as exc:
                raise PublishError(f"{self.root / name}: cannot remove: {exc.strerror}") from exc

    def sweep(self) -> None:
        for folder in (self.root, self.root / EPISODES_DIR):
            try:
                leftovers = [p for p in folder.iterdir()
                             if _TEMPORARY.fullmatch(p.name) and p.is_file()]
            # nothing published there yet, or nothing can be
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                raise PublishError(f"{folder}: cannot list: {exc.strerror}") from exc
            for path in leftovers:
                try:
                    path.unlink(missing_ok=True)
                except OSError as exc:
                    raise PublishError(f"{path}: cannot remove: {exc.strerror}") from exc

    def location(self, name: str) -> str:
        return str(self.root / name)

    def local_path(self, name: str) -> Path:
        return self.root / name

    def _write_temporary(self, destination: Path, source: Path | bytes) -> Path:
        """A fully written, flushed copy of ``source`` next to ``destination``."""
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            handle, path = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
        except OSError as exc:
            raise PublishError(f"{destination.parent}: cannot write: {exc.strerror}") from exc
        temporary = Path(path)
        try:
            with os.fdopen(handle, "wb") as out:
                if isinstance(source, bytes):
                    out.write(source)
                else:
                    with source.open("rb") as data:
                        shutil.copyfileobj(data, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            temporary.chmod(0o644)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise PublishError(f"{destination}: cannot write: {exc.strerror}") from exc
        return temporary
