"""The show's intro and outro music, composed here so it is ours and royalty free.

``python -m podcast.music voices/music`` renders ``intro.flac`` and ``outro.flac``; the
committed files in ``voices/music`` were made this way. A soft pad under a bell-like
pentatonic arpeggio, synthesised sample by sample: no samples or loops from anywhere else.
"""

from __future__ import annotations

import array
import math
import sys
from pathlib import Path

from .audio import RATE, AudioSegment, ffmpeg_exe

# MIDI note numbers; C major pentatonic keeps every overlap consonant.
_INTRO_NOTES = (72, 76, 79, 81, 84, 81, 79, 76, 79, 84, 88)
_OUTRO_NOTES = (84, 81, 79, 76, 72, 76, 72)
_PAD_CHORD = (48, 55, 64, 74)  # C3 G3 E4 D5: an open Cadd9


def _hz(note: int) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def render(notes: tuple[int, ...], step: float, seconds: float, fade_in: float = 0.8) -> AudioSegment:
    """Pad plus arpeggio (one note every ``step`` s), faded in and out, as house-format audio."""
    total = int(seconds * RATE)
    out = array.array("h", bytes(2 * total))
    pad = [_hz(n) for n in _PAD_CHORD]
    bells = [(_hz(n), int(i * step * RATE)) for i, n in enumerate(notes)]
    fade_out = 1.6
    for i in range(total):
        t = i / RATE
        envelope = min(1.0, t / fade_in, (seconds - t) / fade_out)
        value = 0.10 * sum(math.sin(2 * math.pi * f * t) * (1 + 0.3 * math.sin(0.7 * t)) for f in pad)
        for freq, start in bells:
            if start <= i:
                age = (i - start) / RATE
                if age < 2.5:
                    decay = math.exp(-2.2 * age) * min(1.0, age / 0.008)  # no click
                    phase = 2 * math.pi * freq * age
                    value += 0.22 * decay * (math.sin(phase) + 0.35 * math.sin(2 * phase) + 0.12 * math.sin(3 * phase))
        out[i] = int(max(-1.0, min(1.0, value * max(0.0, envelope))) * 22000)
    return AudioSegment(out.tobytes(), sample_width=2, frame_rate=RATE, channels=1)


def write_flac(segment: AudioSegment, path: Path) -> None:
    segment.export(str(path), format="flac", parameters=["-compression_level", "8"]).close()


def main(folder: str) -> None:
    ffmpeg_exe()  # points pydub at our ffmpeg
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    write_flac(render(_INTRO_NOTES, step=0.32, seconds=6.0), target / "intro.flac")
    write_flac(render(_OUTRO_NOTES, step=0.42, seconds=5.0, fade_in=0.4), target / "outro.flac")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "voices/music")
