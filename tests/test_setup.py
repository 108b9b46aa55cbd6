"""scripts/setup and the Python it makes .venv with: $PYTHON honoured, a .venv made by another
Python version or whose python no longer runs made anew (saying so), one it did not make left
alone. The script runs for real, copied to the top of a tiny project whose build backend is its
own few lines, so that installing needs no network and takes a second."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SETUP = Path(__file__).resolve().parent.parent / "scripts" / "setup"
PYPROJECT = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "tiny"
version = "0"
"""
BACKEND = '''\
"""A PEP 517 build backend: a wheel holding nothing but its metadata, built with no download."""

import base64
import hashlib
import zipfile

DIST = "tiny-0.dist-info"
FILES = {
    f"{DIST}/METADATA": "Metadata-Version: 2.1\\nName: tiny\\nVersion: 0\\n",
    f"{DIST}/WHEEL": "Wheel-Version: 1.0\\nGenerator: backend\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = "tiny-0-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(f"{wheel_directory}/{name}", "w") as wheel:
        for path, text in FILES.items():
            data = text.encode()
            wheel.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}\\n")
        wheel.writestr(f"{DIST}/RECORD", "".join(record) + f"{DIST}/RECORD,,\\n")
    return name


build_editable = build_wheel
'''
# The Python running the tests, as `python3` on PATH and as $PYTHON
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
FULL_VERSION = f"Python {sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(SETUP, root / "scripts" / "setup")
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / "backend.py").write_text(BACKEND, encoding="utf-8")
    bin_folder = tmp_path / "bin"  # `python3` is the tests' Python, whatever the machine has
    bin_folder.mkdir()
    (bin_folder / "python3").symlink_to(sys.executable)
    return root


def setup(project: Path, python: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHON", "PYTHONPATH", "VIRTUAL_ENV") and not k.startswith(("PODCAST_", "PIP_"))}
    env |= {"PIP_NO_INDEX": "1", "PATH": f"{project.parent / 'bin'}{os.pathsep}{env['PATH']}"}
    if python is not None:
        env["PYTHON"] = python
    return subprocess.run([str(project / "scripts" / "setup")], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120)


def made_by_setup(project: Path, python: str) -> Path:
    """A .venv as scripts/setup leaves it, up to date (its stamp matches pyproject.toml), but whose
    python is ``python`` (a script)."""
    venv = project / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text(python, encoding="utf-8")
    (venv / "bin" / "python").chmod(0o755)
    (venv / "install.log").write_text("Successfully installed tiny-0\n", encoding="utf-8")
    checksum = subprocess.run(["cksum"], input=PYPROJECT, capture_output=True, text=True).stdout.split()[0]
    (venv / ".podcast-installed").write_text(f"{checksum}\n\n", encoding="utf-8")
    return venv


PYTHON_310 = "#!/bin/sh\n# a Python 3.10, to whoever asks its version\necho 3.10\n"


def works(venv: Path) -> str:
    """The Python version of ``venv`` with the project installed in it."""
    probe = "import importlib.metadata, sys; print(sys.version_info[:2], importlib.metadata.version('tiny'))"
    return subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_a_venv_of_another_version_than_PYTHON_asks_for_is_made_anew_saying_so(project):
    venv = made_by_setup(project, PYTHON_310)
    done = setup(project, python=sys.executable)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"{venv} was made by Python 3.10, but PYTHON={sys.executable} is Python {VERSION}: making it anew with "
        f"{FULL_VERSION}.",
        f"Installing podcast into {venv} (the first time takes a minute)...",
    ]
    assert works(venv) == f"{tuple(sys.version_info[:2])} 0"
    again = setup(project, python=sys.executable)  # the same version now: kept, and nothing to say
    assert (again.returncode, again.stderr) == (0, "")


def test_a_venv_whose_python_no_longer_runs_is_made_anew_saying_so(project, tmp_path):
    venv = made_by_setup(project, "")
    (venv / "bin" / "python").unlink()  # what is left when the Python that made it is removed
    (venv / "bin" / "python").symlink_to(tmp_path / "removed" / "python3.11")
    done = setup(project)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == (f"{venv}/bin/python does not run (was the Python that made it removed?): "
                                           f"making it anew with {FULL_VERSION}.")
    assert works(venv) == f"{tuple(sys.version_info[:2])} 0"


def test_a_venv_setup_did_not_make_is_left_alone_with_one_line(project, tmp_path):
    venv = made_by_setup(project, PYTHON_310)
    (venv / "install.log").unlink()  # someone else's .venv
    done = setup(project, python=sys.executable)
    assert (done.returncode, done.stderr) == (1, (
        f"{venv} was made by Python 3.10, but PYTHON={sys.executable} is Python {VERSION}; scripts/setup did not make "
        f"{venv}, so it stays as it is: remove it and run again, or unset PYTHON to keep it\n"))
    assert (venv / "bin" / "python").read_text(encoding="utf-8") == PYTHON_310

    shutil.rmtree(venv)  # a link to a .venv setup made elsewhere (another checkout's): left alone too
    elsewhere = made_by_setup(tmp_path, PYTHON_310)
    venv.symlink_to(elsewhere)
    done = setup(project, python=sys.executable)
    assert done.returncode == 1 and "scripts/setup did not make" in done.stderr
    assert (elsewhere / "install.log").is_file() and (elsewhere / "bin" / "python").read_text() == PYTHON_310


@pytest.mark.parametrize(("python", "says"), [
    ("no-such-python3", "PYTHON=no-such-python3: no such program (set PYTHON to a Python 3.11 or newer, or unset it)"),
    ("old", "PYTHON={} is Python 3.9; podcast needs 3.11 or newer"),
])
def test_a_PYTHON_that_cannot_make_the_venv_is_one_line_not_another_python(project, python, says):
    if python == "old":
        python = str(project / "python3.9")
        Path(python).write_text("#!/bin/sh\necho 3.9\n", encoding="utf-8")
        Path(python).chmod(0o755)
    done = setup(project, python=python)
    assert (done.returncode, done.stderr) == (1, says.format(python) + "\n")
    assert not (project / ".venv").exists()
