"""Issue 19: a conversation's two voices. Each host has a voice of its own in every engine,
chosen from the preset and voices/presets.toml, or given in [show.hosts]; the analyst's never
the host's. Checked through the fake edge service, which logs the voice of every request."""

from __future__ import annotations

import pytest

from podcast.errors import ConfigError
from podcast.models import CONVERSATION, Host, HostConfig, HostsConfig, Script, Segment
from podcast.pipeline import offline
from podcast.speak import (
    Line,
    SpeakContext,
    conversation_hosts,
    open_speaker,
    resolve_voice,
    speak_script,
)
from podcast.speak.edge import ENDPOINT_ENV
from podcast.speak.voices import TTSConfig

from .fake_edge import EdgeServer, FakeEdge

ZH_HOSTS = (Host("云扬", "主持人"), Host("晓晓", "分析师"))


@pytest.mark.parametrize(("language", "preset", "engine", "voices", "names"), [
    ("zh-CN", "default", "edge", ("zh-CN-YunyangNeural", "zh-CN-XiaoxiaoNeural"), ("云扬", "晓晓")),
    ("zh-CN", "default", "espeak", ("cmn", "cmn+f3"), ("云扬", "晓晓")),
    # a preset of one voice: the analyst takes the other default voice, and each its own name
    ("zh-CN", "xiaoxiao", "edge", ("zh-CN-XiaoxiaoNeural", "zh-CN-YunyangNeural"), ("晓晓", "云扬")),
    ("zh-CN", "xiaoxiao", "espeak", ("cmn+f3", "cmn"), ("晓晓", "云扬")),
    ("en-US", "default", "edge", ("en-US-AndrewMultilingualNeural", "en-US-EmmaMultilingualNeural"),
     ("Andrew", "Emma")),
    ("en-US", "ava", "edge", ("en-US-AvaMultilingualNeural", "en-US-EmmaMultilingualNeural"), ("Ava", "Emma")),
    ("en-US", "ava", "espeak", ("en-us+f3", "en-us"), ("Emma", "Andrew")),
])
def test_every_preset_gives_a_conversation_two_different_voices(language, preset, engine, voices, names):
    config = TTSConfig(engine=engine, preset=preset)
    assert resolve_voice(config, engine, language).cast == voices
    assert tuple(host.name for host in conversation_hosts(config, language)) == names


def test_show_hosts_override_names_roles_and_voices(make_config):
    config = make_config("""
        [show]
        format = "conversation"
        [show.hosts.host]
        name = "林悦"
        voice = "zh-CN-XiaoxiaoNeural"
        espeak_voice = "cmn+f4"
        [show.hosts.analyst]
        name = "周明"
        role = "研究员"
        voice = "zh-CN-YunxiNeural"
    """)
    assert config.show.hosts.host.name == "林悦" and config.show.hosts.analyst.voices == {}
    edge = resolve_voice(config.tts, "edge", "zh-CN")
    assert edge.cast == ("zh-CN-XiaoxiaoNeural", "zh-CN-YunxiNeural")
    assert edge.voice == "zh-CN-YunyangNeural"  # a broadcast's voice stays the preset's
    # `voice` is the [tts] engine's; the offline stand-in takes espeak_voice, else its defaults
    assert resolve_voice(config.tts, "espeak", "zh-CN").cast == ("cmn+f4", "cmn+f3")
    assert conversation_hosts(config.tts, "zh-CN") == (Host("林悦", "主持人"), Host("周明", "研究员"))


@pytest.mark.parametrize(("text", "error"), [
    ('[show.hosts.host]\nvoice_name = "x"\n', "show.hosts.host.voice_name: unknown key"),
    ('[show.hosts.host]\nedge_vioce = "x"\n', "show.hosts.host.edge_vioce: unknown key; did you mean edge_voice?"),
    ('[show.hosts.guest]\nname = "x"\n', "show.hosts.guest: unknown key"),
    ('[show.hosts]\nhost = "x"\n', "show.hosts.host = \"x\": must be a [show.hosts.host] table"),
    ('[show.hosts.analyst]\nespeak_voice = 3\n', "show.hosts.analyst.espeak_voice = 3: must be a string"),
    ('[show.hosts.host]\nname = "A"\n[show.hosts.analyst]\nname = "A"\n', "show.hosts.analyst.name"),
    ('[show.hosts.host]\nvoice = "zh-CN-YunxiNeural"\n[show.hosts.analyst]\nvoice = "zh-CN-YunxiNeural"\n',
     'show.hosts.analyst.voice = "zh-CN-YunxiNeural": must differ from the host\'s'),
    ('[show.hosts.host]\nespeak_voice = "cmn"\n[show.hosts.analyst]\nespeak_voice = "cmn"\n',
     "show.hosts.analyst.espeak_voice"),
])
def test_a_wrong_show_hosts_key_is_one_clear_error(make_config, text, error):
    with pytest.raises(ConfigError, match=error.replace("[", r"\[").replace("]", r"\]").replace("?", r"\?")):
        make_config(text)


def test_an_analyst_given_the_hosts_voice_is_refused():
    config = TTSConfig(engine="edge", voice="zh-CN-XiaoxiaoNeural")
    assert resolve_voice(config, "edge", "zh-CN").cast == ("zh-CN-XiaoxiaoNeural", "zh-CN-YunyangNeural")
    same = TTSConfig(engine="edge", voice="zh-CN-XiaoxiaoNeural",
                     hosts=HostsConfig(analyst=HostConfig(voice="zh-CN-XiaoxiaoNeural")))
    assert resolve_voice(same, "edge", "zh-CN").cast == ()
    with pytest.raises(ConfigError, match=r"two different edge voices.*\[show.hosts.analyst\] edge_voice"):
        speak_script(conversation(TURNS), open_speaker(same, "zh-CN", None))


def conversation(turns: list[tuple[int, str]]) -> Script:
    segment = Segment(1, "2409.00001", "一篇论文", ("第 1 篇论文。", *(text for _, text in turns)),
                      speakers=(0, *(speaker for speaker, _ in turns)))
    return Script("zh-CN", "各位早上好。", "今天聊一篇论文。", (segment,), "今天就到这里。",
                  format=CONVERSATION, hosts=ZH_HOSTS)


TURNS = [(0, "这篇论文做了什么？"), (1, "它把偏好对齐用在了税务问答上。"), (0, "数据从哪里来？"),
         (1, "十万条年报问答，人工检查过。"), (0, "对我们有什么用？"), (1, "可以先在小数据上复现。")]


def test_the_edge_service_hears_the_two_voices_alternate_turn_by_turn():
    with EdgeServer(FakeEdge()) as server:
        server.fake.brief = True
        context = SpeakContext(None, {ENDPOINT_ENV: server.url}, 4, 1, 0.01)
        config = TTSConfig(engine="edge")
        speaker = open_speaker(config, "zh-CN", context)
        script = conversation(TURNS)
        spoken, used, problem = speak_script(script, speaker)
        requests = list(server.fake.requests)
    assert problem is None and used is speaker
    voice_of = {request.text: request.voice.rsplit(", ", 1)[1].rstrip(")") for request in requests}
    assert len(requests) == 10  # concurrent requests: logged in no particular order
    heard = [voice_of[text] for _, text in TURNS]
    assert heard == ["YunyangNeural", "XiaoxiaoNeural"] * 3
    # the greeting, the intro, the heading and the closing are the host's
    assert {voice_of[text] for text in ("各位早上好。", "今天聊一篇论文。", "第 1 篇论文。", "今天就到这里。")} \
        == {"YunyangNeural"}
    # every sentence says who says it
    said = [cue.speaker for section in spoken for part in section.parts for cue in part.cues]
    assert said == ["云扬"] * 3 + ["云扬", "晓晓"] * 3 + ["云扬"]


def test_a_broadcast_keeps_its_voices():
    speaker = open_speaker(TTSConfig(engine="espeak", preset="xiaoxiao"), "zh-CN", None)
    # a broadcast's second voice ("my thoughts") is the preset's, none here: the host's
    assert speaker.voice_for(Line("我的思考。", 1)) == "cmn+f3"
    assert speaker.voice_for(Line("我的思考。", 1, conversation=True)) == "cmn"


def test_the_tts_engines_voices_are_not_its_stand_ins(make_config):
    config = make_config("""
        [tts]
        voice = "zh-CN-XiaoxiaoNeural"
        thoughts_voice = "zh-CN-YunxiNeural"
        [show.hosts.host]
        voice = "zh-CN-YunjianNeural"
    """)
    assert resolve_voice(config.tts, "edge", "zh-CN").voice == "zh-CN-XiaoxiaoNeural"
    # edge-tts out of reach: espeak-ng reads with its own voices (it had no voice 'zh-CN-XiaoxiaoNeural')
    espeak = resolve_voice(config.tts, "espeak", "zh-CN")
    assert (espeak.voice, espeak.thoughts_voice, espeak.cast) == ("cmn", "cmn+f3", ("cmn", "cmn+f3"))
    # --offline: the engine swapped, and the voices named for the old one dropped
    stand_in = offline(config).tts
    assert stand_in.engine == "espeak"
    assert resolve_voice(stand_in, "espeak", "zh-CN").cast == ("cmn", "cmn+f3")

