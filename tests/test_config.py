from pathlib import Path

import pytest

from podcast.config import ENV_VAR, load_config, locate_config
from podcast.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_without_a_file(tmp_path):
    config = load_config(None, tmp_path)
    assert config.show.language == "zh-CN"
    assert config.show.timezone == "Asia/Shanghai"
    assert config.show.max_papers == 5
    assert config.show.title == "AI 论文早报"
    assert config.listener.project  # a default project so "my thoughts" has something to say
    assert [(s.type, s.fallback) for s in config.sources] == [
        ("arxiv-rss", False), ("hf-daily", False), ("file", True),  # the sample only without network
    ]
    assert config.selection.on_empty == "backlog" and config.selection.backlog_days == 7
    assert config.writer.type == "auto"  # the llm writer when $OPENAI_API_KEY is set
    assert config.show.target_minutes == 8 and config.llm.model and config.llm.json_mode == "json_object"
    assert (config.tts.engine, config.tts.preset, config.tts.fallback) == ("edge", "default", "offline")
    assert config.tts.concurrency == 4 and config.tts.retries == 4
    assert config.publish.dir == tmp_path / "feed"
    assert config.publish.base_url == "http://localhost:8000/"


def test_committed_example_is_valid_and_complete(tmp_path):
    config = load_config(ROOT / "podcast.example.toml", tmp_path)
    assert config.show.email == "podcast@example.com"
    assert "税务" in config.listener.project
    # relative paths resolve against the file's folder, not the working directory
    assert config.publish.dir == ROOT / "feed"
    assert (config.audio.loudness, config.audio.true_peak, config.audio.bitrate) == (-16, -1, 96)
    assert config.network.gather_deadline == 90.0


def test_audio_pauses_override_the_voice_preset(make_config):
    from podcast.speak import resolve_voice

    config = make_config('[tts]\nengine = "espeak"\n[audio.pauses]\nparagraph = 1.5\npaper = 3\n')
    pauses = resolve_voice(config.tts, "espeak", "zh-CN", config.audio.pauses).pauses
    assert (pauses.sentence, pauses.part, pauses.section, pauses.paper) == (0.25, 1.5, 1.3, 3.0)
    assert resolve_voice(config.tts, "espeak", "zh-CN").pauses.paper == 1.3  # the preset's section pause


def test_artwork_and_music_paths_are_relative_to_the_config_file(make_config, tmp_path):
    config = make_config('[show]\nartwork = "art/cover.png"\n[audio]\nintro = "music/intro.mp3"\n')
    assert config.show.artwork == tmp_path / "art/cover.png"
    assert config.audio.intro == tmp_path / "music/intro.mp3" and config.audio.outro is None


def test_english_show_gets_english_defaults(make_config):
    config = make_config('[show]\nlanguage = "en-US"\n')
    assert config.show.title == "AI Papers Daily"
    assert config.listener.project.startswith("We are building")


def test_paths_are_relative_to_the_config_file(make_config, tmp_path):
    config = make_config('[publish]\ndir = "public"\n[state]\ndir = "var/state"\n')
    assert config.publish.dir == tmp_path / "public"
    assert config.state.dir == tmp_path / "var/state"


def test_base_url_gets_a_trailing_slash(make_config):
    assert make_config('[publish]\nbase_url = "https://example.com/show"\n').publish.base_url == (
        "https://example.com/show/"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[show]\ntitel = "x"\n', "show.titel: unknown key; did you mean title?"),
        ('[shwo]\ntitle = "x"\n', "shwo: unknown key; did you mean show?"),
        ('[show]\nlanguage = "fr-FR"\n', 'show.language = "fr-FR": must be one of zh-CN, en-US'),
        ('[show]\ntimezone = "Mars/Olympus"\n', 'show.timezone = "Mars/Olympus": must be an IANA time zone'),
        ("[show]\nmax_papers = 0\n", "show.max_papers = 0: must be between 1 and 10"),
        ('[show]\nmax_papers = "5"\n', 'show.max_papers = "5": must be a whole number'),
        ("[show]\nmax_papers = true\n", "show.max_papers = true: must be a whole number"),
        ('[show]\nemail = "nobody"\n', 'show.email = "nobody": must be an e-mail address'),
        ('[publish]\nbase_url = "ftp://x"\n', 'publish.base_url = "ftp://x": must be an http'),
        ('[publish]\ntarget = "ftp://host/x"\n', 'publish.target = "ftp://host/x": unknown publish target; choose "folder" or'),
        ('[publish]\ntarget = "s3"\n', 'publish.target = "s3": must name a bucket, as in "s3://bucket"'),
        ('[publish]\ntarget = "s3:///x"\n', 'publish.target = "s3:///x": must name a bucket'),
        ("[publish]\nkeep_episodes = 0\n", "publish.keep_episodes = 0: must be between 1 and 100000"),
        ('[publish]\nendpoint_url = "localhost:9000"\n', 'publish.endpoint_url = "localhost:9000": must be an http'),
        ('[writer]\ntype = "gpt"\n', 'writer.type = "gpt": unknown writer; choose one of: llm, template'),
        ('[tts]\nengine = "say"\n', 'tts.engine = "say": unknown TTS engine; choose one of: edge, espeak, kokoro'),
        ("[tts.espeak]\nspeed = 'fast'\n", "tts.espeak.speed = \"fast\": must be a whole number"),
        ("[tts]\nspeed = 175\n", "tts.speed: unknown key"),
        ('[tts]\npreset = "radio"\n', 'tts.preset = "radio": no such voice preset for zh-CN; choose one of: default, xiaoxiao'),
        ('[tts.edge]\nrate = "fast"\n', 'tts.edge.rate = "fast": must look like "+10%" or "-5%"'),
        ("[tts]\nconcurrency = 9\n", "tts.concurrency = 9: must be between 1 and 8"),
        ('[tts]\nfallback = "retry"\n', 'tts.fallback = "retry": must be one of offline, fail'),
        ('[[sources]]\npath = "x.json"\n', "sources[1].type: is required; choose one of: arxiv, arxiv-rss, feed, file, hf-daily"),
        ('[[sources]]\ntype = "arxiv"\ninterval = 1\n', "sources[1].interval = 1: must be at least 3 seconds"),
        ('[[sources]]\ntype = "arxiv"\ncategories = ["cs.CL", "csAI"]\n',
         'sources[1].categories = ["cs.CL", "csAI"]: must be arXiv categories such as cs.CL, math.OC, stat.ML, '
         "q-bio.NC or hep-th; 'csAI' is not one"),
        ('[[sources]]\ntype = "arxiv-rss"\ncategories = ["cs.AI+cs CL"]\n', "'cs CL' is not one"),
        ('[[sources]]\ntype = "arxiv-rss"\ncategories = ["cs.AI+"]\n', "'' is not one"),
        ('[[sources]]\ntype = "arxiv"\ncategories = ["CS.AI"]\n', "'CS.AI' is not one"),
        ('[[sources]]\ntype = "arxiv"\ncategories = []\n', "sources[1].categories = []: must be a list of arXiv categories"),
        ('[[sources]]\ntype = "feed"\n', "sources[1].url: is required"),
        ('[[sources]]\ntype = "file"\nfallback = "yes"\n', 'sources[1].fallback = "yes": must be true or false'),
        ('[selection]\non_empty = "wait"\n', 'selection.on_empty = "wait": must be one of backlog, skip'),
        ('[selection.rerank]\nbase_url = "http://x"\n', "selection.rerank.model: is required"),
        ('[selection.embeddings]\nmodel = "m"\nweight = 2\n', "selection.embeddings.weight = 2: must be between 0 and 1"),
        ('[listener]\nkeywords = "lora"\n', 'listener.keywords = "lora": must be a list of strings'),
        ("[network]\ntimeout = 0\n", "network.timeout = 0: must be a positive number"),
        ("[network]\ngather_deadline = -5\n", "network.gather_deadline = -5: must be a positive number"),
        ("[audio]\nloudness = -5\n", "audio.loudness = -5: must be between -30 and -10"),
        ("[audio]\nduck = 6\n", "audio.duck = 6: must be between 12 and 40"),
        ("[audio]\nchannels = 6\n", "audio.channels = 6: must be between 1 and 2"),
        ("[audio.pauses]\nparagraph = -1\n", "audio.pauses.paragraph = -1: must be between 0 and 5"),
        ("[audio.pauses]\nbreath = 1\n", "audio.pauses.breath: unknown key"),
        ('[[sources]]\ntype = "file"\n[[sources]]\ntype = "web"\n', 'sources[2].type = "web": unknown source'),
        ('[[sources]]\ntype = "file"\nurl = "x"\n', "sources[1].url: unknown key"),
        ("sources = []\n", "sources: needs at least one [[sources]] entry"),
        ('show = "x"\n', 'show = "x": must be a [show] table'),
        ("[show\n", "not valid TOML"),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(write_config, tmp_path, text, expected):
    path = write_config(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_locate_prefers_flag_then_environment_then_cwd(write_config, tmp_path):
    flag = write_config("", "flag.toml")
    env = write_config("", "env.toml")
    assert locate_config(str(flag), {ENV_VAR: str(env)}, tmp_path) == flag
    assert locate_config(None, {ENV_VAR: str(env)}, tmp_path) == env
    assert locate_config(None, {}, tmp_path) is None
    default = write_config("", "podcast.toml")
    assert locate_config(None, {}, tmp_path) == default


def test_missing_config_named_where_it_came_from(tmp_path):
    with pytest.raises(ConfigError, match=r"nope.toml: config file not found \(from \$PODCAST_CONFIG\)"):
        locate_config(None, {ENV_VAR: "nope.toml"}, tmp_path)
    with pytest.raises(ConfigError, match=r"from --config"):
        locate_config("nope.toml", {}, tmp_path)


def test_arxiv_categories_of_every_archive_are_accepted(make_config):
    names = ["cs.CL", "math.OC", "stat.ML", "q-bio.NC", "cond-mat.stat-mech", "hep-th", "cs.AI+cs.CL", "cs.XX"]
    config = make_config(f'[[sources]]\ntype = "arxiv"\ncategories = {names!r}\n'.replace("'", '"'))
    assert config.sources[0].options.categories == tuple(names)  # cs.XX is well-formed: only a run finds it unknown
