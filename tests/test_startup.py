"""What a command loads: `podcast --help` and `podcast status` start without the TTS engines, the
model and HTTP clients of the services, or the audio, image and feed libraries; each of those is
loaded by the command that uses it. bench/startup.py times the imports; these tests check which
modules a real process ends up with, so they hold on a machine of any speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from podcast.publish import TARGETS
from podcast.sources import SOURCES
from podcast.speak import ENGINES
from podcast.write import WRITERS

from .test_architecture import modules

# Runs the command as the `podcast` script does, then writes down every module the process holds.
_LOADED = """
import json, sys
from podcast.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(sorted(sys.modules), out)
sys.exit(code)
"""

# Libraries only some commands use: the edge-tts client and its HTTP stack, the model client, the
# ID3 tagger, the image library, the feed parser, the progress bars, the QR code, the S3 client.
_SERVICES_AND_MEDIA = ("edge_tts", "aiohttp", "openai", "httpx", "mutagen", "PIL", "feedparser",
                       "tqdm", "segno", "boto3", "botocore", "numpy", "imageio_ffmpeg")
# The modules of the backends and of the stages' work, which `podcast status` never runs.
_WORK = ("podcast.pipeline", "podcast.daemon.service", "podcast.speak.edge", "podcast.speak.espeak",
         "podcast.write.llm", "podcast.write.template", "podcast.produce.artwork",
         "podcast.produce.tags", "podcast.publish.check")


def loaded(folder: Path, *args: str) -> set[str]:
    """The modules a `podcast` process run in ``folder`` with ``args`` has loaded at its end."""
    out = folder / "modules.json"
    environment = {k: v for k, v in os.environ.items() if k not in ("PODCAST_CONFIG", "OPENAI_API_KEY")}
    result = subprocess.run([sys.executable, "-c", _LOADED, str(out), *args], cwd=folder, env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(json.loads(out.read_text(encoding="utf-8")))


def within(names: set[str], packages: tuple[str, ...]) -> set[str]:
    return {name for name in names if name.split(".")[0] in packages or name in packages}


def test_help_loads_neither_the_config_nor_any_stage(tmp_path):
    names = loaded(tmp_path, "--help")
    assert "podcast.cli" in names and "argparse" in names  # the command ran
    assert not within(names, (*_SERVICES_AND_MEDIA, "pydub", "apscheduler"))
    stages = {name for name in names if name.startswith("podcast.")} - {
        "podcast.cli", "podcast.errors", "podcast.i18n", "podcast.models", "podcast.schema"}
    assert not stages, stages


@pytest.mark.parametrize("config", [
    "",  # the built-in defaults: edge-tts voices, the auto writer
    # every engine's table given, a model writer and the S3 target: their modules are read to
    # check their keys, without the libraries they speak, write or publish with
    '[writer]\ntype = "llm"\n[tts]\nengine = "edge"\n[tts.edge]\nrate = "+5%"\n[tts.espeak]\nspeed = 180\n'
    '[publish]\ntarget = "s3://show/daily"\nbase_url = "https://cdn.example.com/daily/"\n',
], ids=["defaults", "every-backend-table"])
def test_status_loads_no_engine_client_or_media_library(tmp_path, config):
    (tmp_path / "podcast.toml").write_text(config, encoding="utf-8")
    names = loaded(tmp_path, "status")
    assert {"podcast.store", "sqlite3", "apscheduler.triggers.cron"} <= names  # it ran
    assert not within(names, _SERVICES_AND_MEDIA)
    work = set(_WORK)
    if config:  # the backends whose keys were given are read, not used
        assert {"podcast.speak.edge", "podcast.speak.espeak", "podcast.write.llm", "podcast.publish.s3"} <= names
        # (the model writer builds on the template writer's module)
        work -= {"podcast.speak.edge", "podcast.speak.espeak", "podcast.write.llm", "podcast.write.template"}
    assert not names & work, names & work


def test_a_command_that_speaks_still_finds_its_engine(tmp_path):
    """The other side: `podcast voices` lists every engine's voices, so it loads every engine."""
    names = loaded(tmp_path, "voices", "--offline")
    assert {"podcast.speak.edge", "podcast.speak.espeak"} <= names


@pytest.mark.parametrize("registry", [SOURCES, WRITERS, ENGINES, TARGETS], ids=lambda r: r.kind)
def test_every_backend_module_is_in_its_registry_table(registry):
    """A registry imports a backend's module only when the backend is asked for, so a module of
    ours that registers a backend must be in its registry's table, under the name it registers:
    else the backend would never be found."""
    variable = {"source": "SOURCES", "writer": "WRITERS", "TTS engine": "ENGINES",
                "publish target": "TARGETS"}[registry.kind]
    registered = {}
    for module, path in modules().items():
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if line.startswith(f"@{variable}.register("):
                registered[line.split('"')[1]] = module
    table = {name: registry.module(name) for name in registry.names() if registry.module(name)}
    assert registered and registered == table
    assert all(registry.get(name).name == name for name in table)
