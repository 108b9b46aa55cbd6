"""Stage 4, speak: every paragraph of the script turned into audio by a TTS engine, with the
time of every sentence in it.

The configured engine (a :class:`Speaker` registered in :data:`ENGINES`) reads the show; when
it cannot (a service out of reach, or failing), the engine that stands in for the others
re-voices the whole episode, if [tts] fallback allows: a mixed episode would sound broken. The
pronunciation lexicon is applied to what is sent, never to the sentences kept for captions.
"""

from __future__ import annotations

import logging
from dataclasses import fields, replace
from pathlib import Path

from ..errors import ConfigError, SpeechError
from ..models import CONVERSATION, Host, Pauses, Script, SpokenSection, Voice
from ..progress import Advance, NoProgress, Progress
from .engine import (
    ENGINES,
    Line,
    SpeakContext,
    Speaker,
    VoiceInfo,
    VoiceProblem,
    assemble,
    chunk,
    sentences,
)
from .voices import Lexicon, PauseConfig, TTSConfig, cast, preset

__all__ = [
    "ENGINES",
    "Line",
    "PauseConfig",
    "SpeakContext",
    "Speaker",
    "TTSConfig",
    "VoiceInfo",
    "VoiceProblem",
    "assemble",
    "choose_speaker",
    "chunk",
    "conversation_hosts",
    "open_speaker",
    "resolve_voice",
    "script_lines",
    "sentences",
    "speak_script",
    "stand_in_engine",
]

log = logging.getLogger(__name__)

_NO_PROGRESS = NoProgress()


def resolve_voice(
    config: TTSConfig, engine: str, language: str, pauses: PauseConfig | None = None
) -> Voice:
    """``engine``'s settings: the chosen preset, with [tts], [tts.<engine>] and the pauses of
    [audio] on top."""
    chosen = preset(language, config.preset)
    base = dict(chosen.get(engine, {}))
    options = config.engines.get(engine) or ENGINES.get(engine).Options()
    factor = ENGINES.get(engine).pace_factor(base, options)
    filled = {}
    for spec in fields(options):
        value = getattr(options, spec.name)
        if value in ("", None, 0, -1) and spec.name in base:
            filled[spec.name] = base[spec.name]
    own = engine == config.engine  # [tts] voice and thoughts_voice are the [tts] engine's
    voice = (config.voice if own else "") or base.get("voice", "")
    if not voice:
        raise ConfigError(f"voice preset {config.preset!r} has no {engine} voice for {language}")
    thoughts = (config.thoughts_voice if own else "") or base.get("thoughts_voice", "")
    preset_pauses = chosen.get("pauses", {})
    given = pauses or PauseConfig()

    def pause(name: str, key: str, default: float) -> float:
        value = getattr(given, name)
        return value if value is not None else float(preset_pauses.get(key, default)) / 1000

    section = pause("section", "section_ms", 1300)
    units = base.get("units_per_minute", 220 if language.startswith("zh") else 150)
    thoughts = "" if thoughts == "none" else thoughts
    return Voice(
        language=language,
        voice=voice,
        thoughts_voice=thoughts,
        units_per_minute=factor * float(units),
        pauses=Pauses(pause("sentence", "sentence_ms", 250), pause("paragraph", "part_ms", 650),
                      section, pause("paper", "paper_ms", section * 1000),
                      pause("turn", "turn_ms", 250)),
        options=replace(options, **filled),
        trim=float(base.get("trimmed_ms", 0)) / 1000,
        cast=_conversation_voices(config, engine, language, voice, thoughts),
    )


def _conversation_voices(config: TTSConfig, engine: str, language: str, voice: str,
                         thoughts: str) -> tuple[str, ...]:
    """A conversation's voices in ``engine``: the host's ([show.hosts.host], else the preset's
    voice), then the analyst's ([show.hosts.analyst], else the preset's second voice, else the
    language's default analyst, else its default host: whichever differs from the host's).
    Empty when the analyst would have the host's voice (an engine without a second voice): a
    conversation then cannot be spoken (:func:`speak_script` says so)."""
    defaults = cast(language).voices
    host = config.hosts.host.voice_in(engine, config.engine) or voice
    given = config.hosts.analyst.voice_in(engine, config.engine)
    candidates = [given] if given else [thoughts, *(d.get(engine, "") for d in reversed(defaults))]
    analyst = next((v for v in candidates if v and v != host), "")
    return (host, analyst) if analyst else ()


def conversation_hosts(config: TTSConfig, language: str) -> tuple[Host, Host]:
    """A conversation's two hosts by name and role, as the configured engine voices them: from
    [show.hosts], else the name each voice goes by in voices/presets.toml, else the default for
    its part."""
    defaults = cast(language)
    voices = resolve_voice(config, config.engine, language).cast or ("", "")
    named = [defaults.name_of(voice) or host.name
             for voice, host in zip(voices, defaults.hosts, strict=True)]
    if named[0] == named[1]:
        named = [host.name for host in defaults.hosts]
    host, analyst = (Host(given.name or name, given.role or default.role)
                     for given, name, default in zip(config.hosts, named, defaults.hosts,
                                                     strict=True))
    return host, analyst


def open_speaker(config: TTSConfig, language: str, context: SpeakContext | None,
                 engine: str | None = None, pauses: PauseConfig | None = None) -> Speaker:
    engine = engine or config.engine
    return ENGINES.get(engine)(resolve_voice(config, engine, language, pauses), context)


def choose_speaker(config: TTSConfig, language: str, context: SpeakContext,
                   pauses: PauseConfig | None = None) -> tuple[Speaker, VoiceProblem | None]:
    """The engine that will read the episode, known before the script is written (it is sized
    for that voice): the configured one, or the stand-in when the configured one cannot be
    reached; and, then, why."""
    speaker = open_speaker(config, language, context, pauses=pauses)
    problem = speaker.check()
    if problem is None:
        return speaker, None
    return _stand_in(speaker, config, context, SpeechError(problem, unreachable=True), pauses)


def speak_script(
    script: Script, speaker: Speaker, progress: Progress = _NO_PROGRESS,
    config: TTSConfig | None = None, pauses: PauseConfig | None = None,
    folder: Path | None = None,
) -> tuple[list[SpokenSection], Speaker, VoiceProblem | None]:
    """Audio for every section of ``script``, one utterance per paragraph (with a ``folder``,
    each a WAV file there, written as it is spoken); the engine that spoke it; and, when a
    stand-in had to re-voice it (``config``'s fallback allowing), why. A stand-in that fails
    too gives way to the last resort."""
    lines = sum(len(section.parts) for section in script.sections())
    label, reason = "Speaking", None
    while True:
        try:
            with progress.task(label, lines) as advance:
                return _spoken(script, speaker, advance, folder), speaker, reason
        except SpeechError as exc:
            if config is None:
                raise
            speaker, why = _stand_in(speaker, config, speaker.context, exc, pauses)
            label, reason = "Speaking (offline)", reason or why


def stand_in_engine(config: TTSConfig, language: str, context: SpeakContext,
                    failing: str = "") -> str:
    """The offline engine that stands in for the others (and for ``failing``): the first that
    stands in first and is ready here (Kokoro-82M, installed with its files), else the last
    resort, the registry's stand-in (espeak-ng)."""
    for engine in ENGINES.classes():
        if engine.stands_in_first and engine.name != failing:
            try:
                voice = resolve_voice(config, engine.name, language)
            except ConfigError:  # no voice of it in the preset
                continue
            if engine.ready(voice, context):
                return engine.name
    return ENGINES.stand_in().name


def _stand_in(speaker: Speaker, config: TTSConfig, context: SpeakContext, exc: SpeechError,
              pauses: PauseConfig | None) -> tuple[Speaker, VoiceProblem]:
    """The stand-in engine in place of one that fails, if [tts] fallback allows; else the
    error."""
    if speaker.stands_in or config.fallback != "offline":
        raise SpeechError(f"{exc} (pieces already spoken are cached: a rerun resumes)") from exc
    stand_in = ENGINES.get(stand_in_engine(config, speaker.language, context, speaker.name))
    log.warning("%s; %s voices the episode instead.", exc, stand_in.label or stand_in.name)
    replacement = open_speaker(config, speaker.language, context, stand_in.name, pauses)
    return replacement, speaker.problem(exc)


def script_lines(script: Script) -> list[tuple[str, list[Line]]]:
    """Every section's paragraphs, each with the voice that says it (a broadcast's thoughts and
    steps, a conversation's analyst: the second)."""
    conversation = script.format == CONVERSATION
    return [(section.title, [Line(p, section.speaker(i), conversation)
                             for i, p in enumerate(section.parts)])
            for section in script.sections()]


def _spoken(script: Script, speaker: Speaker, advance: Advance,
            folder: Path | None) -> list[SpokenSection]:
    if script.format == CONVERSATION and not speaker.settings.cast:
        raise ConfigError(f"a conversation needs two different {speaker.name} voices, and the "
                          f"analyst would speak with the host's {speaker.voice!r}: give one in "
                          f"[show.hosts.analyst] {speaker.name}_voice")
    lexicon = Lexicon.load(script.language)
    sections = script_lines(script)
    lines = [line for _, section in sections for line in section]
    spoken = speaker.speak_all(lines, lexicon, advance, folder)
    log.info("Spoke %d paragraphs with the %s.", len(lines), speaker.describe())
    if script.format == CONVERSATION:  # every sentence says who says it
        spoken = [replace(said, cues=tuple(replace(cue, speaker=script.said_by(line.speaker))
                                           for cue in said.cues))
                  for said, line in zip(spoken, lines, strict=True)]
    result, start = [], 0
    for title, section in sections:
        result.append(SpokenSection(title, tuple(spoken[start : start + len(section)])))
        start += len(section)
    return result
