"""The show page and an episode's page in headless Chromium, served by `podcast serve`: they load
without a console error, the player plays, chapters and transcript sentences seek, the download
link names the MP3, the QR code reads back as the feed address, and a phone shows it all without
sideways scrolling. Skipped where Debian's chromium is not installed (.ci/run installs it)."""

from __future__ import annotations

import io
import shutil
import time

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    pytest.skip("needs Debian's chromium (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

# Flags for a machine without a network, a GPU or a sound card; media may start without a click.
FLAGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class Console:
    """Every console error and uncaught exception of a page (CSP violations and 404s included)."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))


@pytest.fixture
def page(browser, server):
    base = server[0]
    context = browser.new_context(accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    page.console = Console(page)
    yield page
    context.close()


def current_time(page, selector: str = "audio") -> float:
    return page.eval_on_selector(selector, "audio => audio.currentTime")


def wait_until(page, expression: str, timeout: float = 15) -> None:
    """Poll ``expression`` (page.wait_for_function evaluates strings, which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        time.sleep(0.1)


def test_show_page_plays_seeks_and_downloads(page, server):
    base, folder, episode, _ = server
    page.goto(f"{base}/")
    assert page.title() == "AI 论文早报"
    assert page.eval_on_selector("header img", "img => img.naturalWidth") == 1400

    page.eval_on_selector("audio", "audio => audio.play()")
    wait_until(page, "document.querySelector('audio').currentTime > 0.5")

    chapters = page.query_selector_all("ol.chapters button")
    assert len(chapters) == len(episode.chapters) >= 3
    for index in (2, 1):  # forwards and back
        chapters[index].click()
        start = episode.chapters[index].start
        wait_until(page, f"Math.abs(document.querySelector('audio').currentTime - {start}) < 1.5")
        wait_until(page, f"document.querySelector('audio').currentTime > {start} + 0.3")
    assert not page.eval_on_selector("audio", "audio => audio.paused")

    link = page.query_selector("a[download]")
    assert link.evaluate("a => a.href") == f"{base}/{episode.audio_name}"
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "AI 论文早报 2026-11-21.mp3"
    assert download.value.path().read_bytes() == (folder / episode.audio_name).read_bytes()
    assert page.console.errors == []


def test_chapter_click_before_the_player_loaded_still_seeks(page, server):
    """preload="none": the first click has no metadata to seek in yet."""
    base, _, episode, _ = server
    page.goto(f"{base}/")
    assert page.eval_on_selector("audio", "audio => audio.readyState") == 0
    page.query_selector_all("ol.chapters button")[-1].click()
    start = episode.chapters[-1].start
    wait_until(page, f"document.querySelector('audio').currentTime > {start} + 0.3")
    assert current_time(page) < start + 5
    assert page.console.errors == []


def test_subscribe_block_copies_the_feed_address_and_its_qr_code_reads_back(page, server):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    base = server[0]
    page.goto(f"{base}/")
    assert page.input_value("#feed-url") == f"{base}/feed.xml"
    page.click("button[data-copy]")
    wait_until(page, "document.querySelector('button[data-copy]').textContent === '已复制'")
    assert page.evaluate("navigator.clipboard.readText()") == f"{base}/feed.xml"
    shot = Image.open(io.BytesIO(page.locator(".subscribe svg").screenshot()))
    (code,) = zxingcpp.read_barcodes(shot)
    assert code.text == f"{base}/feed.xml"
    assert page.console.errors == []


def test_episode_page_transcript_seeks_and_follows_the_voice(page, server):
    base, _, episode, _ = server
    page.goto(f"{base}/{episode.page_name}")
    assert page.title() == episode.title
    sentences = page.query_selector_all(".transcript span[data-t]")
    assert len(sentences) > 10
    target = sentences[len(sentences) // 2]
    at = float(target.get_attribute("data-t"))
    target.click()
    wait_until(page, f"document.querySelector('audio').currentTime > {at} + 0.3")
    assert current_time(page) < at + 5
    page.wait_for_selector(".transcript span.now")  # the sentence being said is marked
    highlighted = float(page.eval_on_selector(".transcript span.now", "span => span.dataset.t"))
    assert at <= highlighted <= current_time(page)
    page.click("text=← 全部节目")
    assert page.url == f"{base}/"
    assert page.console.errors == []


def test_pages_fit_a_phone_screen(browser, server):
    base, _, episode, _ = server
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    console = Console(page)
    for path in ("", episode.page_name):
        page.goto(f"{base}/{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('article p')).fontSize)")
        assert size >= 14
    assert console.errors == []
    context.close()


def test_a_script_in_a_paper_title_stays_text(browser, tmp_path):
    """Escaping, and the page's Content Security Policy behind it: only the page's own script runs."""
    from datetime import date

    from podcast.models import Chapter, Episode, Paper, ShowConfig
    from podcast.publish import PublishConfig, open_target, publish_cover, publish_site

    from .conftest import SATURDAY_MORNING

    hostile = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
    paper = Paper(id="x", title=f"Title {hostile}", summary="s", authors=(hostile,), url="https://arxiv.org/abs/x")
    episode = Episode(date=date(2026, 11, 21), guid="g", title=f"Episode {hostile}", audio_name="episodes/x.mp3",
                      audio_bytes=1, duration=60, transcript_name="episodes/x.txt",
                      chapters=(Chapter(hostile, 0, 60),), papers=(paper,), published_at=SATURDAY_MORNING)
    target = open_target(PublishConfig(dir=tmp_path, base_url="http://127.0.0.1/"))
    publish_site(target, publish_cover(target, ShowConfig(title=hostile), (b"\x89PNG", "image/png")), [episode],
                 SATURDAY_MORNING)
    page = browser.new_page()
    page.goto((tmp_path / "index.html").as_uri())
    assert page.evaluate("window.pwned") is None
    assert hostile in page.inner_text("h1") and hostile in page.inner_text("article h2")
    page.close()


def test_page_opens_from_the_folder_without_a_server(browser, server):
    """Downloaded or synced, the folder is the show: the page reads everything it needs from beside it."""
    _, folder, episode, _ = server
    page = browser.new_page()
    console = Console(page)
    page.goto((folder / "index.html").as_uri())
    assert page.eval_on_selector("header img", "img => img.naturalWidth") == 1400
    page.query_selector_all("ol.chapters button")[1].click()  # the script runs; the player reads the file
    wait_until(page, f"document.querySelector('audio').currentTime > {episode.chapters[1].start} + 0.3")
    assert console.errors == []
    page.close()


def test_rating_buttons_show_when_served_and_rate_the_paper(browser, page, server):
    """👎 then 👍 on a paper of the show page: the state database has the down rating, then the up one;
    the episode's page shows the vote; a click on the pressed button clears it. A refusal is a short note,
    never a dialog. The same page opened from the folder shows no buttons."""
    from podcast.store import open_store

    base, folder, episode, _ = server
    paper = episode.papers[0].id

    def stored() -> list[tuple[str, str]]:
        with open_store(folder / ".state") as store:
            return [(r.paper.id, r.kind) for r in store.references()]

    def pressed(vote: str) -> str:
        return f"(document.querySelector('.rate [data-paper=\"{paper}\"] [data-vote={vote}]').ariaPressed === 'true')"

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base}/")
    item = page.locator(f'.rate [data-paper="{paper}"]')
    item.wait_for(state="visible")  # once GET /ratings answered
    assert item.locator("span").inner_text() == (episode.notes[paper].title or episode.papers[0].title_for("zh-CN"))
    assert page.evaluate(f"!{pressed('up')} && !{pressed('down')}")

    item.locator("[data-vote=down]").click()
    wait_until(page, pressed("down"))
    assert stored() == [(paper, "down")]
    item.locator("[data-vote=up]").click()
    wait_until(page, f"{pressed('up')} && !{pressed('down')}")
    assert stored() == [(paper, "up")]

    page.goto(f"{base}/{episode.page_name}")  # asks ../ratings: the vote is pressed there too
    page.locator(f'.rate [data-paper="{paper}"]').wait_for(state="visible")
    wait_until(page, pressed("up"))
    page.locator(f'.rate [data-paper="{paper}"] [data-vote=up]').click()  # pressed: clears it
    wait_until(page, f"!{pressed('up')}")
    assert stored() == []
    assert page.console.errors == [] and dialogs == []

    page.evaluate(f"document.querySelector('.rate [data-paper=\"{paper}\"]').dataset.paper = '2409.99999'")
    page.locator('.rate [data-paper="2409.99999"] [data-vote=down]').click()  # a paper the server never saw
    wait_until(page, "document.querySelector('.rate [role=status]').textContent !== ''")
    assert page.locator(".rate [role=status]").inner_text() == "评分没能保存，请稍后再试。"
    assert dialogs == [] and stored() == []

    from_disk = browser.new_page()
    console = Console(from_disk)
    for name in ("index.html", episode.page_name):
        from_disk.goto((folder / name).as_uri())
        from_disk.wait_for_load_state("load")
        assert from_disk.locator(".rate").count() == 1 and from_disk.locator(".rate button").count() == 2
        assert from_disk.locator(".rate button:visible").count() == 0, name
    assert console.errors == []
    from_disk.close()


@pytest.mark.parametrize("ratings", [None, "an HTML page", "JSON without votes"])
def test_another_host_of_the_page_shows_no_rating_buttons(browser, server, web, ratings):
    """A static host (S3, a CDN, any web server): GET ratings is a 404, or some other page; no buttons."""
    from .webserver import Reply

    _, folder, _, _ = server
    web.routes["/"] = Reply(200, (folder / "index.html").read_bytes(), {"Content-Type": "text/html; charset=utf-8"})
    if ratings == "an HTML page":  # a host that answers every address with its front page
        web.routes["/ratings"] = web.routes["/"]
    elif ratings:
        web.routes["/ratings"] = Reply.json({"ok": True})
    page = browser.new_page()
    page.goto(web.url("/"))
    page.wait_for_load_state("load")
    wait_until(page, "performance.getEntriesByType('resource').some(e => e.name.endsWith('/ratings'))")
    time.sleep(0.2)  # the answer read, had it shown anything
    assert page.locator(".rate").count() == 1 and page.locator(".rate button:visible").count() == 0
    assert web.paths().count("/ratings") == 1 and not any(r.method == "POST" for r in web.requests)
    page.close()
