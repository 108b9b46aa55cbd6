"""Issue 6: the produced episode is mastered like a real podcast, checked on the MP3 itself:
loudness and true peak with ffmpeg's ebur128, chapters with mutagen and ffprobe, the music
ducked under the greeting, exact section times, tags and cover art."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from dataclasses import replace
from datetime import date

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode

from podcast.errors import AudioError
from podcast.models import Pauses, SpokenSection, Utterance
from podcast.produce import AudioConfig, Music, produce_episode
from podcast.produce.audio import decode_file, measure
from podcast.produce.tags import Tags

from .conftest import espeak_speaker, say

pytestmark = pytest.mark.slow

PAUSES = Pauses(sentence=0.25, part=0.6, section=1.2, paper=1.4)
ARTWORK = (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")


def tags(**changes) -> Tags:
    base = Tags("AI 论文早报：11 月 21 日", "研究组", "AI 论文早报", date(2026, 11, 21), "zh-CN",
                "三篇论文", "早上好……", ARTWORK)
    return replace(base, **changes)


@pytest.fixture(scope="module")
def sections() -> list[SpokenSection]:
    """An opening, three papers (the thoughts in the second voice) and a closing."""
    host = espeak_speaker("zh-CN")
    sections = [SpokenSection("开场", (say(host, "各位同事早上好，今天是十一月二十一日，星期六。今天为大家播报三篇论文。"),))]
    for number in range(1, 4):
        sections.append(SpokenSection(f"第 {number} 篇：论文{number}", (
            say(host, f"第 {number} 篇论文。它提出了一种新的微调方法，在财报问答上效果更好。"),
            say(host, "我的思考：我们可以先在小数据集上复现，再和现有模型对比。", thoughts=True),
        )))
    sections.append(SpokenSection("结束语", (say(host, "以上就是今天的内容，祝大家工作顺利！"),)))
    return sections


@pytest.fixture(scope="module")
def episode(sections, tmp_path_factory):
    out = tmp_path_factory.mktemp("mastered") / "episode.mp3"
    return produce_episode(sections, out, tags(), Music.load(), pauses=PAUSES)


def test_loudness_and_true_peak_meet_the_target(episode):
    loudness = measure(episode.path, true_peak=True)
    assert loudness.integrated == pytest.approx(-16, abs=1)
    assert loudness.peak <= -1.0
    decoded = decode_file(episode.path)
    assert decoded.max_dBFS < -0.5  # nothing near clipping anywhere


def test_another_target_is_met_too(sections, tmp_path):
    config = AudioConfig(loudness=-19, true_peak=-2)
    produced = produce_episode(sections[:2], tmp_path / "quiet.mp3", tags(), Music.load(config), pauses=PAUSES,
                               config=config)
    loudness = measure(produced.path, true_peak=True)
    assert loudness.integrated == pytest.approx(-19, abs=1) and loudness.peak <= -2.0


def test_voices_of_different_engines_and_levels_are_matched(sections, tmp_path):
    """A paragraph 15 dB too quiet and one that arrives as an MP3 file from another engine end
    up within 1 LU of the rest."""
    english = say(espeak_speaker("en-US"), "Here is a paper from another engine, read by another voice.")
    encoded = tmp_path / "other-engine.mp3"
    english.audio.export(str(encoded), format="mp3", bitrate="48k").close()
    quiet = Utterance(sections[1].parts[0].audio.apply_gain(-15), sections[1].parts[0].cues)
    mixed = [
        sections[0],
        SpokenSection("quiet", (quiet,)),
        SpokenSection("file", (Utterance(encoded, english.cues),)),
        sections[-1],
    ]
    produced = produce_episode(mixed, tmp_path / "mixed.mp3", tags(), Music(), pauses=PAUSES)
    audio = decode_file(produced.path)
    levels = [measure(audio[round(c.start * 1000) : round(c.end * 1000)]).integrated for c in produced.chapters]
    assert max(levels) - min(levels) < 1.0, levels


@pytest.mark.parametrize("parts", [2, 3])
def test_parts_mastered_at_once_join_into_the_same_episode(sections, episode, tmp_path, parts):
    """Cut into parts that are mixed and encoded at once and joined frame by frame, the episode
    is the one made in one piece: as long to the sample, every sentence and chapter at the same
    time, each chapter as loud, and the sound itself the same but for the encoder's noise."""
    joined = produce_episode(sections, tmp_path / "joined.mp3", tags(), Music.load(), pauses=PAUSES, parts=parts)
    assert (joined.duration, joined.chapters, joined.cues) == (episode.duration, episode.chapters, episode.cues)
    whole, cut = decode_file(episode.path), decode_file(joined.path)
    assert len(cut.raw_data) == len(whole.raw_data) == round(episode.duration * 44100) * 2
    assert MP3(joined.path).info.length == pytest.approx(episode.duration, abs=1 / 44100)
    for chapter in episode.chapters:
        span = slice(round(chapter.start * 1000), round(chapter.end * 1000))
        assert measure(cut[span]).integrated == pytest.approx(measure(whole[span]).integrated, abs=0.2)
    difference = whole.overlay(cut.invert_phase())
    assert difference.dBFS < whole.dBFS - 30, (difference.dBFS, whole.dBFS)
    for cue in [c for c in episode.cues if c.start > 15]:  # the words start where they did (the intro over)
        at = round(cue.start * 1000)
        assert cut[at - 150 : at - 10].dBFS < -50 and cut[at + 20 : at + 300].dBFS > -40


def test_chapters_match_the_assembly(episode):
    chapters = episode.chapters
    assert [c.title for c in chapters] == ["开场", "第 1 篇：论文1", "第 2 篇：论文2", "第 3 篇：论文3", "结束语"]
    assert chapters[0].start == 0 and chapters[-1].end == pytest.approx(episode.duration, abs=0.001)
    assert all(a.end == b.start for a, b in itertools.pairwise(chapters))

    id3 = ID3(episode.path)
    frames = id3.getall("CHAP")  # in the file in the order of time, as ffmpeg-based players list them
    assert [str(f.sub_frames["TIT2"]) for f in frames] == [c.title for c in chapters]
    for frame, chapter in zip(frames, chapters, strict=True):
        assert abs(frame.start_time / 1000 - chapter.start) <= 0.05
        assert abs(frame.end_time / 1000 - chapter.end) <= 0.05
    toc = id3.getall("CTOC")[0]
    assert toc.child_element_ids == [f.element_id for f in frames] and toc.flags & 0x03 == 0x03

    # the times are where the sound is: silence just before each paper's chapter, then its sting
    audio = decode_file(episode.path)
    for chapter in chapters[2:4]:
        at = round(chapter.start * 1000)
        assert audio[at - 150 : at - 10].dBFS < -55
        assert audio[at + 10 : at + 150].dBFS > -40
    first_words = next(c for c in episode.cues if c.text.startswith("第 2 篇"))
    at = round(first_words.start * 1000)
    assert audio[at - 150 : at - 10].dBFS < -55 and audio[at + 20 : at + 300].dBFS > -40


@pytest.mark.skipif(not shutil.which("ffprobe"), reason="ffprobe is not installed (Debian package ffmpeg)")
def test_ffprobe_reads_the_same_chapters(episode):
    result = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_chapters", str(episode.path)],
                            capture_output=True, check=True, text=True)
    found = json.loads(result.stdout)["chapters"]
    assert [c["tags"]["title"] for c in found] == [c.title for c in episode.chapters]
    for probed, chapter in zip(found, episode.chapters, strict=True):
        assert abs(float(probed["start_time"]) - chapter.start) <= 0.05
        assert abs(float(probed["end_time"]) - chapter.end) <= 0.05


def test_the_voice_rides_at_least_12_db_over_the_intro(sections):
    music = Music.load()
    voice = sections[0].parts[0].audio
    head, under = music.greeting.around(len(voice))
    assert len(head) == round(music.voice_entry * 1000) and 8 <= music.intro.duration_seconds <= 15
    overlap = voice[: len(under)]
    assert measure(overlap).integrated - measure(under).integrated >= 12
    assert under.dBFS < head[:-500].dBFS - 12  # the music really drops when the voice comes in


def test_music_plays_before_the_greeting_then_fades_under_it(episode):
    audio = decode_file(episode.path)
    entry = round(episode.cues[0].start * 1000)
    assert entry == 7500
    assert audio[500:entry - 500].dBFS > -30  # the intro, alone
    assert audio[len(audio) - 6000 : len(audio) - 3000].dBFS > -35  # the outro


def test_id3_fields_and_cover_art(episode):
    id3 = ID3(episode.path)
    assert id3.version[:2] == (2, 3)
    assert str(id3["TIT2"]) == "AI 论文早报：11 月 21 日" and str(id3["TPE1"]) == "研究组"
    assert str(id3["TALB"]) == "AI 论文早报" and str(id3["TCON"]) == "Podcast"
    assert str(id3["TDRC"]) == "2026-11-21"
    assert id3.getall("COMM")[0].text == ["三篇论文"]
    assert id3.getall("USLT")[0].text == "早上好……"
    assert int(str(id3["TLEN"])) == pytest.approx(episode.duration * 1000, abs=1)
    cover = id3.getall("APIC")[0]
    assert cover.mime == "image/png" and cover.type == 3 and cover.data == ARTWORK[0]


def test_export_is_cbr_at_the_configured_rate_and_channels(episode, sections, tmp_path):
    info = MP3(episode.path).info
    assert (info.sample_rate, info.channels, info.bitrate, info.bitrate_mode) == (44100, 1, 96000, BitrateMode.CBR)
    config = AudioConfig(bitrate=128, channels=2)
    stereo = produce_episode(sections[:1], tmp_path / "stereo.mp3", tags(), Music(), config=config)
    info = MP3(stereo.path).info
    assert (info.channels, info.bitrate) == (2, 128000)


def test_user_music_files_and_no_music(sections, tmp_path):
    beep = tmp_path / "beep.wav"
    subprocess.run([_ffmpeg(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=660:duration=10",
                    str(beep)], check=True)
    config = AudioConfig(intro=beep, sting=beep, outro=beep, voice_entry=4.0)
    music = Music.load(config)
    assert music.intro.duration_seconds == pytest.approx(10, abs=0.05) and music.voice_entry == 4.0
    produced = produce_episode(sections[:2], tmp_path / "own.mp3", tags(), music, config=config)
    assert produced.cues[0].start == pytest.approx(4.0, abs=0.001)

    silent = produce_episode(sections[:2], tmp_path / "bare.mp3", tags(), Music.load(AudioConfig(music=False)))
    assert silent.cues[0].start < 0.5 and silent.duration < produced.duration

    with pytest.raises(AudioError, match="voice_entry"):
        Music.load(AudioConfig(intro=beep, voice_entry=9.5))
    with pytest.raises(AudioError, match="not found"):
        Music.load(AudioConfig(intro=tmp_path / "missing.mp3"))


def test_pauses_are_the_configured_silences(sections, tmp_path):
    long = Pauses(sentence=0.25, part=2.0, section=3.0, paper=4.0)
    produced = produce_episode(sections, tmp_path / "slow.mp3", tags(), Music.load(), pauses=long)
    audio = decode_file(produced.path)
    cues = produced.cues
    paper = sections[1]
    # the gap between the two paragraphs of paper 1 is the configured paragraph pause
    end_of_first = next(c for c in cues if c.text.startswith("第 1 篇"))
    thoughts = next(c for c in cues if c.text.startswith("我的思考"))
    gap = thoughts.start - (end_of_first.start + paper.parts[0].audio.duration_seconds)
    assert gap == pytest.approx(2.0, abs=0.01)
    silent = audio[round((thoughts.start - 1.9) * 1000) : round((thoughts.start - 0.1) * 1000)]
    assert silent.dBFS < -55
    # papers are 4 s apart, the sting in the middle of the gap, where paper 2's chapter starts
    sting = produced.chapters[2].start
    last_words = [c for c in cues if c.start < sting][-1]
    assert sting - last_words.end == pytest.approx(2.0, abs=0.01)
    assert audio[round((sting - 1.9) * 1000) : round((sting - 0.1) * 1000)].dBFS < -55
    next_words = next(c for c in cues if c.start > sting)
    assert next_words.start - sting == pytest.approx(2.0 + Music.load().sting.duration_seconds, abs=0.01)


def _ffmpeg() -> str:
    from podcast.produce.audio import ffmpeg_exe

    return ffmpeg_exe()
