"""Speech units: text cut into sentences in both languages, sentences grouped into requests
without cutting one, and a caption cue per sentence, checked on real espeak-ng audio and on the
captions an episode publishes (read back from the .vtt)."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from podcast.pipeline import run_episode
from podcast.speak import chunk, sentences
from podcast.speak.edge import ENDPOINT_ENV

from .conftest import FILE_SOURCE, OFFLINE_TTS, SATURDAY_MORNING, say
from .conftest import espeak_speaker as speaker
from .fake_edge import EdgeServer, FakeEdge


@pytest.mark.parametrize(("text", "expected"), [
    ("A b. C d. E f!", ["A b.", "C d.", "E f!"]),
    ("Is it? Yes! It is.", ["Is it?", "Yes!", "It is."]),
    ("We try e.g. LoRA, i.e. low-rank adapters. It works.",
     ["We try e.g. LoRA, i.e. low-rank adapters.", "It works."]),
    ("Smith et al. show it. See Fig. 3 and Eq. 2 of Sec. 4. Then vs. baselines, it wins.",
     ["Smith et al. show it.", "See Fig. 3 and Eq. 2 of Sec. 4.", "Then vs. baselines, it wins."]),
    ("Dr. Li and J. R. Smith of the U.S. team agree. Done.",
     ["Dr. Li and J. R. Smith of the U.S. team agree.", "Done."]),
    ("It scores 93.2% with v1.5. GPT-4.5 and Qwen2.5 follow. See 2409.17581 now.",
     ["It scores 93.2% with v1.5.", "GPT-4.5 and Qwen2.5 follow.", "See 2409.17581 now."]),
    ('He said "it works." Then (as expected.) it did. [Really?] Yes.',
     ['He said "it works."', "Then (as expected.) it did.", "[Really?]", "Yes."]),
    ("It costs approx. five dollars. Wait... really? Models, data, etc. Next one.",
     ["It costs approx. five dollars.", "Wait... really?", "Models, data, etc.", "Next one."]),
    ("第一句话。第二句话比较长一些！第三句？", ["第一句话。", "第二句话比较长一些！", "第三句？"]),
    ("它用了 GPT-4.5 和 Qwen2.5。准确率是 93.2%！“真的吗？”他问。没有句号",
     ["它用了 GPT-4.5 和 Qwen2.5。", "准确率是 93.2%！", "“真的吗？”", "他问。", "没有句号"]),
    ("No stop at all", ["No stop at all"]),
    ("", []),
])
def test_sentences_split_at_their_ends_only(text, expected):
    assert sentences(text) == expected


def test_sentences_of_a_huge_text_take_linear_time():
    # 40,000 stops and abbreviations: every decision looks at a few characters around its stop
    assert len(sentences("It works. " * 40_000)) == 40_000
    assert sentences("see e.g. " * 40_000) == [("see e.g. " * 40_000).strip()]


ENGLISH = ("Large language models are trained on text. " * 3 + "They learn e.g. grammar, i.e. "
           "the rules of a language, as Smith et al. found in Fig. 3. ") * 20


def test_requests_end_at_sentence_ends():
    groups = chunk(ENGLISH, 2800)
    assert len(groups) > 1 and all(len(" ".join(g).encode()) <= 2800 for g in groups)
    assert [s for g in groups for s in g] == sentences(ENGLISH)  # no sentence cut


def test_only_a_sentence_too_long_alone_is_cut_and_between_words():
    long_sentence = "And then" + " the model reads another very long clause and then" * 40 + " ends."
    groups = chunk(f"A short one. {long_sentence} Another short one.", 1000)
    pieces = [piece for group in groups for piece in group]
    assert pieces[0] == "A short one." and pieces[-1] == "Another short one."
    assert " ".join(pieces[1:-1]) == long_sentence  # cut between words, never inside one
    assert all(len(p.encode()) <= 1000 for p in pieces)


@pytest.mark.slow
def test_espeak_english_gives_a_cue_per_sentence_on_speech():
    text = "Here are three papers. The first is from Smith et al. in 2024. It reaches 93.2% on v1.5!"
    spoken = say(speaker("en-US"), text)
    assert [c.text for c in spoken.cues] == ["Here are three papers.",
                                            "The first is from Smith et al. in 2024.",
                                            "It reaches 93.2% on v1.5!"]
    assert all(a.end <= b.start for a, b in pairwise(spoken.cues))
    for cue in spoken.cues:
        assert spoken.audio[cue.start * 1000 : cue.start * 1000 + 150].dBFS > -45  # on speech
        assert 1.0 < cue.end - cue.start < 6


def vtt_cues(path) -> list[tuple[float, float, str]]:
    stamp = r"(\d\d):(\d\d):(\d\d)\.(\d{3})"
    cues = []
    for match in re.finditer(rf"{stamp} --> {stamp}\n(.+)", path.read_text(encoding="utf-8")):
        numbers = [int(n) for n in match.groups()[:8]]
        start = numbers[0] * 3600 + numbers[1] * 60 + numbers[2] + numbers[3] / 1000
        end = numbers[4] * 3600 + numbers[5] * 60 + numbers[6] + numbers[7] / 1000
        cues.append((start, end, match.group(9)))
    return cues


def english_show(tmp_path, tts: str) -> object:
    folder = tmp_path / "show"
    folder.mkdir()
    (folder / "podcast.toml").write_text(
        f'[show]\nlanguage = "en-US"\nmax_papers = 2\ntarget_minutes = 3\n{FILE_SOURCE}{tts}'
        f'[state]\ndir = "{folder}/state"\n[publish]\ndir = "{folder}/feed"\n', encoding="utf-8")
    from podcast.config import load_config

    return load_config(folder / "podcast.toml", folder)


def assert_a_cue_per_sentence(result, feed) -> None:
    transcript = (feed / "episodes" / "2026-11-21.txt").read_text(encoding="utf-8")
    said = [s for paragraph in transcript.split("\n") for s in sentences(paragraph)]
    cues = vtt_cues(feed / "episodes" / "2026-11-21.vtt")
    assert [text for _, _, text in cues] == said
    assert len(cues) > 25 and all(sentences(text) == [text] for _, _, text in cues)
    lengths = [end - start for start, end, _ in cues]
    assert max(lengths) < 15  # no paragraph-long cue (they were 27 s)


@pytest.mark.slow
def test_an_english_offline_episode_has_a_cue_per_sentence(tmp_path):
    result = run_episode(english_show(tmp_path, OFFLINE_TTS), now=SATURDAY_MORNING)
    assert_a_cue_per_sentence(result, tmp_path / "show" / "feed")


@pytest.mark.slow
def test_an_english_edge_episode_has_a_cue_per_sentence(tmp_path):
    with EdgeServer(FakeEdge()) as edge:
        result = run_episode(english_show(tmp_path, ""), now=SATURDAY_MORNING,
                             env={ENDPOINT_ENV: edge.url})
        requests = edge.fake.requests
    assert not any("espeak" in standin for standin in result.standins)  # edge read it
    assert_a_cue_per_sentence(result, tmp_path / "show" / "feed")
    # a request holds several whole sentences: none ends mid-sentence
    assert any(len(sentences(r.text)) > 1 for r in requests)
    assert all(re.search(r"[.!?:]\"?$", r.text) for r in requests)


def test_align_places_sentences_on_the_services_own_boundaries():
    from podcast.speak.engine import align

    said = ["We try e.g. LoRA here.", "See Fig. 3 now.", "It works."]
    finer = [(0.0, "We try e.g."), (1.0, "LoRA here."), (2.0, "See Fig."), (2.6, "3 now."), (3.0, "It works.")]
    assert align(said, finer, 4.0) == [0.0, 2.0, 3.0]
    coarser = [(0.0, "We try e.g. LoRA here. See Fig. 3 now."), (3.0, "It works.")]
    starts = align(said, coarser, 4.0)
    assert starts[0] == 0.0 and starts[2] == 3.0 and starts[1] == pytest.approx(3.0 * 18 / 30)  # by characters, spaces aside
    assert align(said, [(0.0, "Something else entirely."), (1.0, "And more.")], 4.0) is None
    assert align(said, [(0.0, ""), (1.0, "")], 4.0) is None  # an old cache entry: times alone


@pytest.mark.slow
def test_edge_cues_follow_the_services_boundaries_when_it_cuts_elsewhere():
    from podcast.speak import Line, SpeakContext, TTSConfig, open_speaker
    from podcast.speak.voices import Lexicon

    from .fake_edge import TICKS

    text = "We try e.g. LoRA adapters here. See Fig. 3 for the results. It works well."
    with EdgeServer(FakeEdge(naive=True)) as edge:
        engine = open_speaker(TTSConfig(engine="edge"), "en-US", SpeakContext(None, {ENDPOINT_ENV: edge.url}))
        (spoken,) = engine.speak_all([Line(text)], Lexicon(None, {}), lambda n: None)
        _, bounds = edge.fake.audio_for(text)
    assert len(bounds) == 6  # the service cut inside "e.g." and after "Fig." too
    assert [c.text for c in spoken.cues] == sentences(text)
    service = {said: start / TICKS for start, _, said in bounds}
    starts = [service["We try e."], service["See Fig."], service["It works well."]]
    lead = starts[1] - spoken.cues[1].start  # the silence trimmed off the start
    assert 0 <= lead < 0.2 and spoken.cues[2].start == pytest.approx(starts[2] - lead, abs=0.002)
    for cue in spoken.cues:
        assert spoken.audio[cue.start * 1000 : cue.start * 1000 + 150].dBFS > -45  # on speech
