"""Offline speech and audio production, checked on the real audio they make."""

import itertools
from datetime import date

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from podcast.errors import SpeechError
from podcast.models import SpokenSection
from podcast.produce import Music, produce_episode
from podcast.produce.audio import AudioSegment, decode_file, silence
from podcast.produce.tags import Tags
from podcast.speak import assemble, chunk, resolve_voice, speak_script
from podcast.speak.espeak import EspeakOptions
from podcast.speak.voices import Lexicon, TTSConfig

from .conftest import espeak_speaker as speaker
from .conftest import say

pytestmark = pytest.mark.slow
NO_LEXICON = Lexicon(None, {})


@pytest.mark.parametrize(("language", "voice"), [("zh-CN", "cmn"), ("en-US", "en-us")])
def test_espeak_speaks_each_language(language, voice):
    engine = speaker(language)
    assert engine.voice == voice
    text = "今天为大家播报五篇论文。" if language == "zh-CN" else "Here are five new papers for today."
    spoken = say(engine, text)
    assert 1.2 < spoken.audio.duration_seconds < 8
    assert spoken.audio.dBFS > -40  # speech, not silence
    assert [c.text for c in spoken.cues] == [text] and spoken.cues[0].start == 0


def test_presets_and_overrides():
    voice = resolve_voice(TTSConfig(engine="espeak"), "espeak", "zh-CN")
    assert (voice.voice, voice.thoughts_voice, voice.options.speed, voice.units_per_minute) == ("cmn", "cmn+f3", 175, 222)
    assert (voice.pauses.sentence, voice.pauses.part, voice.pauses.section) == (0.25, 0.65, 1.3)
    faster = resolve_voice(TTSConfig(engine="espeak", engines={"espeak": EspeakOptions(speed=350)}), "espeak", "zh-CN")
    assert faster.options.speed == 350 and faster.units_per_minute == 444  # twice the speed, twice the words
    alone = resolve_voice(TTSConfig(engine="edge", preset="xiaoxiao", thoughts_voice="none"), "edge", "zh-CN")
    assert (alone.voice, alone.thoughts_voice, alone.options.rate) == ("zh-CN-XiaoxiaoNeural", "", "+8%")
    english = resolve_voice(TTSConfig(engine="edge"), "edge", "en-US")
    assert english.voice == "en-US-AndrewMultilingualNeural" and english.thoughts_voice == "en-US-EmmaMultilingualNeural"


def test_the_thoughts_get_the_second_voice():
    engine = speaker("zh-CN")
    host = say(engine, "以下是我的思考：这篇论文很有用。")
    second = say(engine, "以下是我的思考：这篇论文很有用。", thoughts=True)
    assert host.audio.raw_data != second.audio.raw_data  # cmn and cmn+f3


def test_sentences_are_spoken_apart_with_a_pause_and_a_cue_each():
    engine = speaker("zh-CN")
    spoken = say(engine, "第一句话。第二句话比较长一些！第三句？")
    assert [c.text for c in spoken.cues] == ["第一句话。", "第二句话比较长一些！", "第三句？"]
    starts = [c.start for c in spoken.cues]
    assert starts == sorted(starts) and spoken.cues[-1].end == pytest.approx(spoken.audio.duration_seconds, abs=0.02)
    for cue in spoken.cues:  # every cue starts on speech
        assert spoken.audio[cue.start * 1000 : cue.start * 1000 + 150].dBFS > -45


def test_longer_text_takes_longer():
    engine = speaker("zh-CN")
    assert say(engine, "早上好。" * 6).audio.duration_seconds > 4 * say(engine, "早上好。").audio.duration_seconds


def test_unknown_voice_is_a_clear_error():
    with pytest.raises(SpeechError, match="espeak-ng has no voice 'xx-nope'"):
        say(speaker("zh-CN", "xx-nope"), "你好")


def test_chunks_stay_under_the_byte_limit_even_without_punctuation():
    text = "这是一段没有任何标点符号的很长的中文" * 300  # 5,400 characters, no spaces, no stops
    groups = chunk(text, 2800)
    assert all(len("".join(g).encode()) <= 2800 for g in groups)
    assert "".join("".join(g) for g in groups) == text
    mixed = ("第一句。" * 500) + "，".join(["分句"] * 800) + "。"
    groups = chunk(mixed, 2800)
    assert all(len(" ".join(g).encode()) <= 2800 for g in groups)
    assert "".join("".join(g) for g in groups) == mixed


def test_assemble_trims_silence_and_places_cues():
    tone = AudioSegment.silent(200) + speaker("en-US").speak_chunk("Hello there.", "en-us")[0] + AudioSegment.silent(300)
    utterance = assemble([["One."], ["Two.", "Three."]], [(tone, None), (tone, [0.2, 0.9])], pause=0.5)
    first, second, third = utterance.cues
    assert first.start == 0 and second.start == pytest.approx(first.end + 0.5, abs=0.05)
    assert third.start == pytest.approx(second.start + 0.7, abs=0.05)  # the engine's boundary, less the trim


def test_lexicon_changes_what_is_spoken_not_the_text():
    lexicon = Lexicon.load("en-US")
    assert lexicon.apply("Papers on arXiv, e.g. LoRA and LLMs; not LLMsX.") == (
        "Papers on archive, for example Laura and L L Ms; not LLMsX."
    )


def test_speak_script_gives_one_utterance_per_paragraph(sample_papers):
    from podcast.registry import NoOptions
    from podcast.select import Profile, select_papers
    from podcast.write import WRITERS, Brief

    from .conftest import SATURDAY_MORNING, TAX_PROJECT

    picks = select_papers(sample_papers, Profile(TAX_PROJECT), 1).picks
    script = WRITERS.get("template")(NoOptions()).write(picks, Brief("zh-CN", "AI 论文早报", TAX_PROJECT, SATURDAY_MORNING))
    spoken, _, _ = speak_script(script, speaker("zh-CN"))
    assert [s.title for s in spoken] == [s.title for s in script.sections()]
    assert [len(s.parts) for s in spoken] == [len(s.parts) for s in script.sections()]
    assert all(part.audio.duration_seconds > 0.3 and part.cues for s in spoken for part in s.parts)


def test_with_a_folder_each_paragraph_goes_to_disk_as_it_is_spoken_and_memory_holds_one(sample_papers, tmp_path):
    import tracemalloc

    from podcast.registry import NoOptions
    from podcast.select import Profile, select_papers
    from podcast.write import WRITERS, Brief

    from .conftest import SATURDAY_MORNING, TAX_PROJECT

    picks = select_papers(sample_papers, Profile(TAX_PROJECT), 3).picks
    script = WRITERS.get("template")(NoOptions()).write(picks, Brief("zh-CN", "AI 论文早报", TAX_PROJECT, SATURDAY_MORNING))

    def peak_mb(folder):
        tracemalloc.start()
        try:
            spoken, _, _ = speak_script(script, speaker("zh-CN"), folder=folder)
            return spoken, tracemalloc.get_traced_memory()[1] / 1e6
        finally:
            tracemalloc.stop()

    in_memory, held = peak_mb(None)
    on_disk, peak = peak_mb(tmp_path / "speech")
    parts = [part for section in on_disk for part in section.parts]
    kept = [part for section in in_memory for part in section.parts]
    assert sorted(tmp_path.joinpath("speech").iterdir()) == [part.audio for part in parts]
    for part, same in zip(parts, kept, strict=True):  # the same speech and cues, from the file
        audio = decode_file(part.audio)  # (espeak-ng says a text a few ms longer or shorter each time)
        assert audio.duration_seconds == pytest.approx(same.audio.duration_seconds, abs=0.15)
        assert [c.text for c in part.cues] == [c.text for c in same.cues]
        assert part.cues[-1].end == pytest.approx(audio.duration_seconds, abs=0.01)
        assert abs(audio.dBFS - same.audio.dBFS) < 0.2
    total = sum(len(part.audio.raw_data) for part in kept) / 1e6
    longest = max(len(part.audio.raw_data) for part in kept) / 1e6
    assert total > 5 * longest and held > total  # all of it held at once, without a folder
    assert peak < 3 * longest and peak < held / 2  # with one: a paragraph's worth at a time


def test_produced_mp3_decodes_with_chapters_tags_and_cues(tmp_path):
    engine = speaker("zh-CN")
    sections = [
        SpokenSection("开场", (say(engine, "早上好。"), say(engine, "今天播报一篇论文。"))),
        SpokenSection("第 1 篇：测试", (say(engine, "第一篇论文。"),)),
        SpokenSection("结束语", (say(engine, "祝大家工作顺利！"),)),
    ]
    tags = Tags(title="AI 论文早报：测试", artist="研究组", album="AI 论文早报", day=date(2026, 11, 21),
                language="zh-CN", description="本期论文", transcript="早上好。")
    music = Music.load()
    out = tmp_path / "episode.mp3"
    produced = produce_episode(sections, out, tags, music)

    speech = sum(p.audio.duration_seconds for s in sections for p in s.parts)
    assert produced.duration > speech + music.voice_entry + music.outro.duration_seconds
    decoded = decode_file(out)
    assert decoded.duration_seconds == pytest.approx(produced.duration, abs=0.1)
    assert MP3(out).info.length == pytest.approx(produced.duration, abs=0.1)
    assert decoded.max_dBFS <= -0.5  # no clipping

    chapters = produced.chapters
    assert [c.title for c in chapters] == ["开场", "第 1 篇：测试", "结束语"]
    assert chapters[0].start == 0 and chapters[-1].end == pytest.approx(produced.duration, abs=0.001)
    assert all(a.end == b.start for a, b in itertools.pairwise(chapters))
    assert [c.text for c in produced.cues] == ["早上好。", "今天播报一篇论文。", "第一篇论文。", "祝大家工作顺利！"]
    assert produced.cues[0].start == pytest.approx(music.voice_entry, abs=0.001)  # over the intro's tail

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


def test_silence_is_silent():
    assert silence(500).rms == 0
