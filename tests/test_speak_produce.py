"""Offline speech and audio production, checked on the real audio they make."""

from datetime import date

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from podcast.audio import decode_file, silence
from podcast.errors import SpeechError
from podcast.produce import Music, Tags, produce_episode
from podcast.speak import ENGINES, SpokenSection, speak_script
from podcast.speak.espeak import EspeakOptions
from podcast.voices import Lexicon

pytestmark = pytest.mark.slow


def speaker(language, voice=""):
    return ENGINES.get("espeak")(EspeakOptions(), language, voice)


@pytest.mark.parametrize(("language", "voice"), [("zh-CN", "cmn"), ("en-US", "en-us")])
def test_espeak_speaks_each_language(language, voice):
    engine = speaker(language)
    assert engine.voice == voice
    text = "今天为大家播报五篇论文。" if language == "zh-CN" else "Here are five new papers for today."
    audio = engine.speak(text)
    assert 1.5 < audio.duration_seconds < 8
    assert audio.dBFS > -40  # speech, not silence


def test_longer_text_takes_longer():
    engine = speaker("zh-CN")
    short = engine.speak("早上好。")
    long = engine.speak("早上好。" * 6)
    assert long.duration_seconds > 4 * short.duration_seconds


def test_unknown_voice_is_a_clear_error():
    with pytest.raises(SpeechError, match="espeak-ng has no voice 'xx-nope'"):
        speaker("zh-CN", "xx-nope").speak("你好")


def test_lexicon_changes_what_is_spoken_not_the_text():
    lexicon = Lexicon.load("en-US")
    assert lexicon.apply("Papers on arXiv, e.g. LoRA and LLMs; not LLMsX.") == (
        "Papers on archive, for example Laura and L L Ms; not LLMsX."
    )


def test_speak_script_gives_one_clip_per_paragraph(sample_papers):
    from podcast.registry import NoOptions
    from podcast.select import Profile, select_papers
    from podcast.write import WRITERS, Brief

    from .conftest import SATURDAY_MORNING, TAX_PROJECT

    picks = select_papers(sample_papers, Profile(TAX_PROJECT), 1).picks
    script = WRITERS.get("template")(NoOptions()).write(
        picks, Brief("zh-CN", "AI 论文早报", TAX_PROJECT, SATURDAY_MORNING)
    )
    spoken = speak_script(script, speaker("zh-CN"))
    assert [s.title for s in spoken] == [s.title for s in script.sections()]
    assert [len(s.parts) for s in spoken] == [len(s.parts) for s in script.sections()]
    assert all(part.duration_seconds > 0.3 for s in spoken for part in s.parts)


def test_produced_mp3_decodes_with_chapters_and_tags(tmp_path):
    engine = speaker("zh-CN")
    sections = [
        SpokenSection("开场", (engine.speak("早上好。"), engine.speak("今天播报一篇论文。"))),
        SpokenSection("第 1 篇：测试", (engine.speak("第一篇论文。"),)),
        SpokenSection("结束语", (engine.speak("祝大家工作顺利！"),)),
    ]
    tags = Tags(title="AI 论文早报：测试", artist="研究组", album="AI 论文早报", day=date(2026, 11, 21),
                language="zh-CN", description="本期论文", transcript="早上好。")
    music = Music.load()
    out = tmp_path / "episode.mp3"
    produced = produce_episode(sections, out, tags, music)

    speech = sum(p.duration_seconds for s in sections for p in s.parts)
    music_seconds = music.intro.duration_seconds + music.outro.duration_seconds
    assert produced.duration > speech + music_seconds  # pauses between the parts
    decoded = decode_file(out)
    assert decoded.duration_seconds == pytest.approx(produced.duration, abs=0.1)
    assert MP3(out).info.length == pytest.approx(produced.duration, abs=0.1)
    assert decoded.max_dBFS <= -0.5  # no clipping

    chapters = produced.chapters
    assert [c.title for c in chapters] == ["开场", "第 1 篇：测试", "结束语"]
    assert chapters[0].start == 0 and chapters[-1].end == pytest.approx(produced.duration, abs=0.001)
    assert all(a.end == b.start for a, b in zip(chapters, chapters[1:]))

    id3 = ID3(out)
    assert id3.version[:2] == (2, 3)
    assert str(id3["TIT2"]) == "AI 论文早报：测试"
    assert str(id3["TPE1"]) == "研究组"
    assert str(id3["TALB"]) == "AI 论文早报"
    assert str(id3["TDRC"]).startswith("2026")
    assert id3.getall("USLT")[0].text == "早上好。"
    assert [str(c.sub_frames["TIT2"]) for c in sorted(id3.getall("CHAP"), key=lambda c: c.start_time)] == [
        "开场", "第 1 篇：测试", "结束语",
    ]
    assert id3.getall("CTOC")[0].child_element_ids == ["chp0", "chp1", "chp2"]


def test_speech_starts_after_the_intro_music(tmp_path):
    """The first words come after the intro, at the level set for speech."""
    voice = speaker("en-US").speak("Good morning.")
    tags = Tags("t", "a", "b", date(2026, 11, 21), "en-US", "d", "x")
    music = Music.load()
    produced = produce_episode([SpokenSection("Opening", (voice,))], tmp_path / "e.mp3", tags, music)
    audio = decode_file(produced.path)
    intro_ms = len(music.intro)
    assert audio[: intro_ms - 1500].dBFS > -40  # music is playing
    assert audio[intro_ms + 50 : intro_ms + 350].dBFS < -60  # then a pause
    speech = audio[intro_ms + 400 : intro_ms + 400 + len(voice)]
    assert speech.dBFS == pytest.approx(-19, abs=2.5)


def test_silence_is_silent():
    assert silence(500).rms == 0
