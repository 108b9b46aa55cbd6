"""The team's library as references: Zotero (its database, read while Zotero holds it open, and
the web API), BibTeX, RIS, CSL-JSON and lists of arXiv ids looked up once; all against real
files and a local HTTP server."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import re
import sqlite3
import textwrap
from datetime import date
from pathlib import Path

import pytest

from podcast.errors import ConfigError, SourceError
from podcast.http import HttpClient, HttpPolicy
from podcast.models import LIBRARY, Paper, Reference
from podcast.select.library import LibraryConfig, load_library, merge, shelf

from .webserver import DATA, Reply, Request, WebServer

RECORDED = (DATA / "arxiv-api" / "query-all-testing-start0-max100.200.xml").read_bytes()
RECORDED_IDS = re.findall(rb"<id>http://arxiv\.org/abs/(.+?)v\d+</id>", RECORDED)
KEY = "k3y-s3cret-9f8e"


@pytest.fixture(autouse=True)
def _info(caplog):
    caplog.set_level(logging.INFO, logger="podcast")


def client(clock) -> HttpClient:
    return HttpClient(HttpPolicy(timeout=5, retries=0), clock=clock)


def library(tmp_path: Path, *given: str, **settings) -> LibraryConfig:
    return LibraryConfig(shelves=tuple(shelf(g, tmp_path) for g in given), **settings)


def load(config: LibraryConfig, clock, tmp_path: Path, env=None) -> list[Reference]:
    return load_library(config, client(clock), tmp_path / "state", env or {})


def by_id(references: list[Reference]) -> dict[str, Reference]:
    return {r.paper.id: r for r in references}


def file_bytes(*paths: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.exists()}


# -- Zotero's own database ---------------------------------------------------------------------

# Zotero's tables and columns (resource/schema/system.sql and userdata.sql), the parts read here
ZOTERO_SCHEMA = """
CREATE TABLE itemTypes (itemTypeID INTEGER PRIMARY KEY, typeName TEXT, templateItemTypeID INT,
                        display INT DEFAULT 1);
CREATE TABLE fields (fieldID INTEGER PRIMARY KEY, fieldName TEXT, fieldFormatID INT);
CREATE TABLE items (itemID INTEGER PRIMARY KEY, itemTypeID INT NOT NULL,
                    dateAdded TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
                    dateModified TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
                    clientDateModified TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
                    libraryID INT NOT NULL, key TEXT NOT NULL, version INT NOT NULL DEFAULT 0,
                    synced INT NOT NULL DEFAULT 0, UNIQUE (libraryID, key));
CREATE TABLE itemDataValues (valueID INTEGER PRIMARY KEY, value UNIQUE);
CREATE TABLE itemData (itemID INT, fieldID INT, valueID, PRIMARY KEY (itemID, fieldID));
CREATE TABLE creators (creatorID INTEGER PRIMARY KEY, firstName TEXT, lastName TEXT,
                       fieldMode INT);
CREATE TABLE itemCreators (itemID INT NOT NULL, creatorID INT NOT NULL,
                           creatorTypeID INT NOT NULL, orderIndex INT NOT NULL DEFAULT 0,
                           PRIMARY KEY (itemID, orderIndex));
CREATE TABLE deletedItems (itemID INTEGER PRIMARY KEY,
                           dateDeleted DEFAULT CURRENT_TIMESTAMP NOT NULL);
CREATE TABLE itemNotes (itemID INTEGER PRIMARY KEY, parentItemID INT, note TEXT, title TEXT);
CREATE TABLE itemAttachments (itemID INTEGER PRIMARY KEY, parentItemID INT, linkMode INT,
                              contentType TEXT, path TEXT);
"""
TYPES = {"journalArticle": 22, "preprint": 31, "attachment": 3, "note": 28, "annotation": 1}
FIELDS = {"title": 1, "abstractNote": 2, "url": 13, "extra": 16, "DOI": 59, "archiveID": 121,
          "date": 6, "publicationTitle": 38}

ZOTERO_ITEMS = [  # (type, added, fields, creators)
    ("journalArticle", "2026-09-14 08:12:01",
     {"title": "Parameter-Efficient Fine-Tuning for Tax Law QA", "abstractNote": "We adapt LoRA "
      "to tax questions.", "DOI": "10.1000/tax.2026.7", "date": "2026-03-00 March 2026",
      "publicationTitle": "Journal of Tax AI"},
     [("Li", "Wei"), ("Müller", "Jürgen")]),
    ("preprint", "2026-11-20 22:40:00",
     {"title": "Distilling Reasoning into Small Models", "abstractNote": "A study of knowledge "
      "distillation for chain-of-thought reasoning in small language models.",
      "archiveID": "arXiv:2411.01234", "url": "http://arxiv.org/abs/2411.01234v2"},
     [("Chen", "Ana")]),
    ("journalArticle", "2026-10-02 10:00:00",  # the arXiv id only in Extra, as Zotero writes it
     {"title": "Evaluating Domain Assistants", "abstractNote": "Benchmarks for assistants.",
      "extra": "Citation Key: chen2026\narXiv: 2310.04567"}, []),
    ("preprint", "2026-08-01 09:00:00",  # only arXiv's DOI
     {"title": "Safe Deployment of LLMs", "DOI": "10.48550/arXiv.2402.00042"}, []),
    ("attachment", "2026-11-20 22:41:00", {"title": "Full Text PDF"}, []),
    ("note", "2026-11-21 07:00:00", {}, []),
    ("annotation", "2026-11-21 07:05:00", {}, []),
    ("preprint", "2026-11-19 12:00:00",  # in the trash
     {"title": "A Paper Deleted From the Library", "archiveID": "arXiv:2411.09999"}, []),
]


def make_zotero(path: Path, wal: bool = False) -> None:
    db = sqlite3.connect(path)
    if wal:
        db.execute("PRAGMA journal_mode = WAL")
    db.executescript(ZOTERO_SCHEMA)
    db.executemany("INSERT INTO itemTypes (itemTypeID, typeName) VALUES (?, ?)",
                   [(i, n) for n, i in TYPES.items()])
    db.executemany("INSERT INTO fields (fieldID, fieldName) VALUES (?, ?)",
                   [(i, n) for n, i in FIELDS.items()])
    for item_id, (kind, added, fields, creators) in enumerate(ZOTERO_ITEMS, 1):
        add_item(db, item_id, kind, added, fields, creators)
    db.execute("INSERT INTO itemAttachments VALUES (5, 2, 1, 'application/pdf', 'storage:a.pdf')")
    db.execute("INSERT INTO itemNotes VALUES (6, 2, '<p>read this</p>', 'read this')")
    db.execute("INSERT INTO deletedItems (itemID) VALUES (8)")
    db.commit()
    db.close()


def add_item(db: sqlite3.Connection, item_id: int, kind: str, added: str, fields: dict,
             creators: list) -> None:
    db.execute("INSERT INTO items (itemID, itemTypeID, dateAdded, libraryID, key) "
               "VALUES (?, ?, ?, 1, ?)", (item_id, TYPES[kind], added, f"KEY{item_id:05d}"))
    for name, value in fields.items():
        db.execute("INSERT OR IGNORE INTO itemDataValues (value) VALUES (?)", (value,))
        (value_id,), = db.execute("SELECT valueID FROM itemDataValues WHERE value = ?", (value,))
        db.execute("INSERT INTO itemData VALUES (?, ?, ?)", (item_id, FIELDS[name], value_id))
    for order, (last, first) in enumerate(creators):
        cursor = db.execute("INSERT INTO creators (firstName, lastName, fieldMode) VALUES (?, ?, 0)",
                            (first, last))
        db.execute("INSERT INTO itemCreators VALUES (?, ?, 1, ?)", (item_id, cursor.lastrowid, order))


def check_zotero_papers(references: list[Reference]) -> None:
    found = by_id(references)
    assert sorted(found) == sorted(["2411.01234", "2310.04567", "2402.00042",
                                    next(i for i in found if i.startswith("lib:"))])
    tax = next(r for i, r in found.items() if i.startswith("lib:"))
    assert tax.paper.title == "Parameter-Efficient Fine-Tuning for Tax Law QA"
    assert tax.paper.summary == "We adapt LoRA to tax questions."
    assert tax.paper.authors == ("Wei Li", "Jürgen Müller") and tax.added == date(2026, 9, 14)
    assert tax.kind == LIBRARY and tax.paper.published == date(2026, 3, 1)
    distil = found["2411.01234"]
    assert distil.added == date(2026, 11, 20) and distil.paper.authors == ("Ana Chen",)
    assert distil.paper.url == "http://arxiv.org/abs/2411.01234v2"
    assert found["2310.04567"].paper.title == "Evaluating Domain Assistants"
    assert found["2402.00042"].paper.summary == ""  # an abstract may be missing
    assert found["2402.00042"].paper.url == "https://arxiv.org/abs/2402.00042"


def test_zotero_database_read_while_zotero_holds_it_in_a_write_transaction(tmp_path, clock, caplog):
    folder = tmp_path / "Zotero"
    folder.mkdir()
    database = folder / "zotero.sqlite"
    make_zotero(database)
    zotero = sqlite3.connect(database, isolation_level=None)
    zotero.execute("BEGIN IMMEDIATE")  # Zotero writing: a reserved lock and a hot journal
    zotero.execute("INSERT INTO items (itemID, itemTypeID, libraryID, key) VALUES (99, 31, 1, 'NEW')")
    journal = folder / "zotero.sqlite-journal"
    before = file_bytes(database, journal)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):  # as any other writer sees it
            sqlite3.connect(database, timeout=0).execute("BEGIN IMMEDIATE")
        references = load(library(tmp_path, "Zotero/zotero.sqlite"), clock, tmp_path)
        assert file_bytes(database, journal) == before  # nothing of Zotero's was touched
    finally:
        zotero.execute("ROLLBACK")
        zotero.close()
    check_zotero_papers(references)
    assert "Read 4 papers from the Zotero library Zotero/zotero.sqlite (newest added 2026-11-20)." in caplog.messages
    assert sorted(p.name for p in folder.iterdir()) == ["zotero.sqlite"]  # no copy left behind


def test_zotero_database_in_wal_mode_is_read_with_what_only_its_log_holds(tmp_path, clock):
    database = tmp_path / "zotero.sqlite"
    make_zotero(database, wal=True)
    zotero = sqlite3.connect(database)
    zotero.execute("PRAGMA wal_autocheckpoint = 0")  # the new item stays in zotero.sqlite-wal
    add_item(zotero, 20, "preprint", "2026-11-21 08:00:00",
             {"title": "Added a Minute Ago", "archiveID": "arXiv:2411.05555"}, [])
    zotero.commit()
    zotero.execute("BEGIN IMMEDIATE")
    files = [database, tmp_path / "zotero.sqlite-wal", tmp_path / "zotero.sqlite-shm"]
    before = file_bytes(*files)
    try:
        references = load(library(tmp_path, "zotero.sqlite"), clock, tmp_path)
        assert file_bytes(*files) == before
    finally:
        zotero.rollback()
        zotero.close()
    assert by_id(references)["2411.05555"].added == date(2026, 11, 21)


@pytest.mark.parametrize(("content", "problem"), [
    (b"SQLite format 3\x00" + b"\x00" * 84, "cannot read the Zotero database"),
    (b"not a database at all, just text" * 50, "cannot read the Zotero database: file is not a database"),
    (None, "not a Zotero database (no table items, itemTypes"),
])
def test_a_database_that_is_not_zotero_is_one_clear_error(tmp_path, clock, content, problem):
    path = tmp_path / "zotero.sqlite"
    if content is None:
        sqlite3.connect(path).execute("CREATE TABLE other (x)").connection.close()
    else:
        path.write_bytes(content)
    with pytest.raises(SourceError) as caught:
        load(library(tmp_path, "zotero.sqlite"), clock, tmp_path)
    message = str(caught.value)
    assert message.startswith('listener.library = "zotero.sqlite" (') and str(path) in message
    assert problem in message and "\n" not in message


# -- the Zotero web API ------------------------------------------------------------------------


def web_items(count: int) -> list[dict]:
    """A library as the Zotero API lists it: papers, with an attachment and a note among them."""
    items = []
    for n in range(count):
        data = {"key": f"K{n:07d}", "itemType": "preprint", "title": f"Paper number {n}",
                "abstractNote": f"Abstract {n}.", "dateAdded": f"2026-10-{n % 28 + 1:02d}T08:00:00Z",
                "creators": [{"creatorType": "author", "firstName": "Ada", "lastName": f"L{n}"},
                             {"creatorType": "author", "name": "The Team"}],
                "archiveID": f"arXiv:2409.{n:05d}" if n % 2 else "", "DOI": "", "url": "",
                "extra": "", "date": "2024-09-01"}
        if n == 7:
            data = {"key": "ATTACH", "itemType": "attachment", "title": "Full Text PDF",
                    "dateAdded": "2026-10-08T08:00:00Z"}
        if n == 8:
            data = {"key": "NOTE", "itemType": "note", "note": "<p>hm</p>", "dateAdded": "2026-10-09T08:00:00Z"}
        items.append({"key": data["key"], "version": 5, "library": {"type": "user", "id": 123},
                      "data": data})
    return items


def zotero_api(items: list[dict]):
    def answer(request: Request) -> Reply:
        if request.headers.get("zotero-api-key") != KEY:
            return Reply(403, b"Forbidden", {"Content-Type": "text/plain"})
        assert request.headers["zotero-api-version"] == "3" and request.query["format"] == "json"
        start, limit = int(request.query["start"]), int(request.query["limit"])
        body = json.dumps(items[start : start + limit]).encode()
        return Reply(200, body, {"Content-Type": "application/json", "Total-Results": str(len(items))})

    return answer


def test_zotero_web_library_page_by_page_then_its_copy_when_the_api_is_gone(tmp_path, clock, caplog):
    config = library(tmp_path, "zotero:user/123")
    with WebServer() as web:
        web.routes["/users/123/items"] = zotero_api(web_items(130))
        config = LibraryConfig(web.url("/"), "MY_ZOTERO_KEY", shelves=config.shelves)
        references = load(config, clock, tmp_path, {"MY_ZOTERO_KEY": KEY})
        assert [r.query["start"] for r in web.requests] == ["0", "100"]  # two pages
        assert {r.query["limit"] for r in web.requests} == {"100"}
    assert len(references) == 128  # not the attachment, not the note
    found = by_id(references)
    assert found["2409.00001"].paper.title == "Paper number 1"
    assert found["2409.00001"].paper.authors == ("Ada L1", "The Team")
    assert found["2409.00001"].added == date(2026, 10, 2)
    assert "Read 128 papers from the Zotero web library user/123 (newest added 2026-10-28)." in caplog.messages

    caplog.clear()  # the server is gone: yesterday's library, not an empty one
    again = load(config, clock, tmp_path, {"MY_ZOTERO_KEY": KEY})
    assert again == references
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "the Zotero API cannot be reached" in warning.getMessage()
    assert "using the copy of the Zotero library user/123 kept on" in warning.getMessage()


def test_zotero_web_library_refusing_the_key_is_one_error_line_without_the_key(web, tmp_path, clock,
                                                                                caplog):
    web.routes["/groups/42/items"] = zotero_api(web_items(3))
    config = LibraryConfig(web.url("/api"), shelves=(shelf("zotero:group/42", tmp_path),))
    web.routes["/api/groups/42/items"] = web.routes.pop("/groups/42/items")
    with pytest.raises(SourceError) as wrong:
        load(config, clock, tmp_path, {"ZOTERO_API_KEY": "wrong-" + KEY})
    assert str(wrong.value) == ('listener.library = "zotero:group/42": the Zotero API refused the key '
                                "in $ZOTERO_API_KEY (HTTP 403)")
    with pytest.raises(SourceError, match=r"the library is not public and \$ZOTERO_API_KEY holds "
                                          r"no Zotero API key \(HTTP 403\)$"):
        load(config, clock, tmp_path, {})
    assert "zotero-api-key" not in web.requests[-1].headers
    assert KEY not in caplog.text and not (tmp_path / "state").exists()  # nothing kept, nothing said

    assert len(load(config, clock, tmp_path, {"ZOTERO_API_KEY": KEY})) == 3


def test_zotero_web_library_offline_is_the_copy_with_a_warning_and_no_request(web, tmp_path, clock,
                                                                            caplog):
    web.routes["/users/5/items"] = zotero_api(web_items(2))
    config = LibraryConfig(web.url(""), shelves=(shelf("zotero:user/5", tmp_path),), offline=True)
    assert load(config, clock, tmp_path, {"ZOTERO_API_KEY": KEY}) == []
    assert "the run is offline; no copy of the Zotero library user/5 was kept yet" in caplog.text
    online = LibraryConfig(web.url(""), shelves=config.shelves)
    kept = load(online, clock, tmp_path, {"ZOTERO_API_KEY": KEY})
    requests = len(web.requests)
    caplog.clear()
    assert load(config, clock, tmp_path, {}) == kept and len(kept) == 2
    assert len(web.requests) == requests
    assert "the run is offline; using the copy of the Zotero library user/5" in caplog.text


def test_zotero_web_library_that_does_not_exist_is_an_error(web, tmp_path, clock):
    config = LibraryConfig(web.url(""), shelves=(shelf("zotero:user/404", tmp_path),))
    with pytest.raises(SourceError, match=r"the Zotero API has no such library \(HTTP 404"):
        load(config, clock, tmp_path, {"ZOTERO_API_KEY": KEY})


# -- exported files ----------------------------------------------------------------------------

BIBTEX = r"""
This text outside entries is a comment, as is the next one.
@comment{jabref-meta: databaseType:bibtex;}
@preamble{ "\newcommand{\noop}[1]{}" }
@String{ acl = "Proceedings of the Annual Meeting of the {ACL}" }
@string(lab = {Tax {AI} Lab})

@article{mueller2024,
  title     = {{LoRA} for {T}ax {L}aw: Fine-Tuning with {\"o}ffentlichen Daten \& Gesetzen},
  author    = {M{\"u}ller, J{\"u}rgen and Garc\'{\i}a, Mar\'ia and {The Tax {AI} Team} and others},
  abstract  = {We fine-tune with $\alpha$-scaled adapters --- cheaply.\\ Results: 95\% accuracy.},
  journal   = {arXiv preprint arXiv:2405.13786},
  year      = 2024,
  timestamp = {2026-11-02T10:11:12Z},
}

@inproceedings{broken2024,
  title = {An entry whose braces never close,
  author = {Nobody}

@misc{wang2023,
  title = "Distilling {\v{C}}ech Models into {\ss}mall Ones",
  author = "Wang, Li",
  eprint = {2302.03287}, archivePrefix = {arXiv}, primaryClass = {cs.CL},
  booktitle = acl # ", " # lab,
  dateadded = {2026-10-05},
  urldate = {2026-11-30},
}

@article{doi2022,
  title = {Reading Tables with Language Models},
  doi = {10.48550/arXiv.2204.08348}, url = {https://example.org/~tax/tables_v2},
  added-at = {2026-09-01T08:00:00.000+0200},
}

@article{notitle,
  author = {Someone},
}

@book{plain,
  title = {Tax Law, Explained},
  author = {Smith, John},
  eprinttype = {pubmed}, eprint = {2302.03287},
}
"""


def test_bibtex_with_latex_macros_and_a_broken_entry(tmp_path, clock, caplog):
    (tmp_path / "refs.bib").write_text(BIBTEX, encoding="utf-8")
    references = load(library(tmp_path, "refs.bib"), clock, tmp_path)
    found = by_id(references)
    lora = found["2405.13786"]  # the id Google Scholar puts in journal
    assert lora.paper.title == "LoRA for Tax Law: Fine-Tuning with öffentlichen Daten & Gesetzen"
    assert lora.paper.authors == ("Jürgen Müller", "María García", "The Tax AI Team")
    assert lora.paper.summary == "We fine-tune with α-scaled adapters — cheaply. Results: 95% accuracy."
    assert lora.added == date(2026, 11, 2) and lora.paper.published == date(2024, 1, 1)
    wang = found["2302.03287"]
    assert wang.paper.title == "Distilling Čech Models into ßmall Ones"
    assert wang.paper.authors == ("Li Wang",) and wang.added == date(2026, 10, 5)  # not urldate
    assert found["2204.08348"].added == date(2026, 9, 1)
    assert found["2204.08348"].paper.url == "https://example.org/~tax/tables_v2"  # no tie in a link
    plain = next(r for i, r in found.items() if i.startswith("lib:"))
    assert plain.paper.title == "Tax Law, Explained"  # a PubMed eprint is no arXiv id
    assert len(references) == 4
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning == ("refs.bib: skipped 1 entry that cannot be read (line 17) and 1 entry "
                       "without a title.")
    assert "Read 4 papers from the BibTeX file refs.bib (newest added 2026-11-02)." in caplog.messages


@pytest.mark.parametrize("text", [
    "", "@", "@article", "@article{", "@article{x,", '@article{x, title = "unclosed',
    "@article{x, title = {a}} @", "@string{x = }", "@comment{", "{}}}{{", "@article{x, = {t}}",
    "@article{x, title = {ok} author = {b}}", "@misc(x, title = {Parens}) @misc{y, title=nomacro}",
    "\x00\ufeff@article{x, title={\\\"}}", "@article{x,title={\\}",
])
def test_odd_bibtex_never_crashes(tmp_path, clock, text):
    (tmp_path / "odd.bib").write_text(text, encoding="utf-8")
    references = load(library(tmp_path, "odd.bib"), clock, tmp_path)
    assert all(r.paper.title for r in references)


RIS = """\ufeffTY  - JOUR
TI  - Fine-Tuning Assistants for Tax Returns
AU  - Li, Wei
AU  - Chen, Ana
AB  - We study assistants that fill in
      tax returns.
DO  - 10.1000/tax.1
UR  - https://example.org/tax
DA  - 2025/06/01/
Y2  - 2026/11/03/
ER  -

TY  - ELEC
T1  - Chain of Thought for Small Models
A1  - Kim, Jun
N2  - Short.
UR  - https://huggingface.co/papers/2005.14124
ER  -

TY  - GEN
AU  - Nobody, Without A Title
ER  -
"""


def test_ris_records(tmp_path, clock, caplog):
    (tmp_path / "export.ris").write_text(RIS, encoding="utf-8")
    found = by_id(load(library(tmp_path, "export.ris"), clock, tmp_path))
    tax = next(r for i, r in found.items() if i.startswith("lib:"))
    assert tax.paper.title == "Fine-Tuning Assistants for Tax Returns"
    assert tax.paper.authors == ("Wei Li", "Ana Chen") and tax.added == date(2026, 11, 3)
    assert tax.paper.summary == "We study assistants that fill in tax returns."
    assert tax.paper.published == date(2025, 6, 1) and tax.paper.url == "https://example.org/tax"
    chain = found["2005.14124"]
    assert (chain.paper.title, chain.paper.summary, chain.added) == (
        "Chain of Thought for Small Models", "Short.", None)
    assert len(found) == 2
    assert "export.ris: skipped 1 record without a title." in caplog.messages
    assert "Read 2 papers from the RIS file export.ris (newest added 2026-11-03)." in caplog.messages


CSL = [
    {"id": "http://zotero.org/users/1/items/ABC", "type": "article", "title": "Tool Use Benchmarks",
     "abstract": "An evaluation suite.", "DOI": "10.48550/arXiv.2204.08348",
     "author": [{"family": "Park", "given": "Min"}, {"literal": "OpenEval Consortium"}],
     "issued": {"date-parts": [[2022, 4]]}, "accessed": {"date-parts": [["2026", "11", "4"]]}},
    {"id": "doe2021", "type": "article-journal", "title": "A Journal Paper",
     "container-title": "Journal of Examples", "URL": "https://example.org/j",
     "issued": {"raw": "2021-05-03"}},
    {"id": "arxiv-number", "type": "article", "title": "Preprint Known by Its Number",
     "number": "arXiv:2302.03287", "date-added": "2026-10-10", "accessed": {"raw": "2026-11-30"}},
    {"id": "untitled"}, "not an item",
]


def test_csl_json_items(tmp_path, clock, caplog):
    (tmp_path / "library.json").write_text(json.dumps(CSL), encoding="utf-8")
    found = by_id(load(library(tmp_path, "library.json"), clock, tmp_path))
    tools = found["2204.08348"]
    assert tools.paper.authors == ("Min Park", "OpenEval Consortium")
    assert tools.paper.published == date(2022, 4, 1) and tools.added == date(2026, 11, 4)
    assert found["2302.03287"].added == date(2026, 10, 10)  # date-added before accessed
    journal = next(r for i, r in found.items() if i.startswith("lib:"))
    assert journal.paper.published == date(2021, 5, 3) and journal.added is None
    assert "library.json: skipped 2 items without a title." in caplog.messages


def test_csl_json_that_is_not_json_is_one_error(tmp_path, clock):
    (tmp_path / "library.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SourceError, match=r'^listener.library = "library.json" \(.+\): not a JSON file'):
        load(library(tmp_path, "library.json"), clock, tmp_path)


# -- a list of arXiv ids, looked up once -------------------------------------------------------


def arxiv_id_list(request: Request) -> Reply:
    """The arXiv API's answer to an id_list query, made of the recorded entries it asks for."""
    wanted = set(request.query["id_list"].split(","))
    if "abc" in wanted:
        return Reply.file(DATA / "arxiv-api" / "id-list-abc-error.400.xml")
    head, *entries = re.split(rb"(?=  <entry>)", RECORDED.split(b"</feed>")[0])
    kept = [e for e in entries
            if re.search(rb"<id>http://arxiv\.org/abs/(.+?)v\d+</id>", e)[1].decode() in wanted]
    return Reply(200, head + b"".join(kept) + b"</feed>\n", {"Content-Type": "application/atom+xml"})


ID_LIST = """\
# papers the team keeps an eye on
2202.12139                                   2026-10-02
https://arxiv.org/abs/2405.13786v1           # a link, with its version
https://huggingface.co/papers/2005.14124
https://www.alphaxiv.org/abs/cs/0503050
arXiv:2204.08348

not an id at all
2202.12139v2                                 2026-09-30
"""


def test_id_list_is_looked_up_once_then_read_from_the_kept_copy(web, tmp_path, clock, caplog):
    web.routes["/api/query"] = arxiv_id_list
    times: list[float] = []
    web.on_request = lambda request: times.append(clock.now)
    (tmp_path / "papers.txt").write_text(ID_LIST, encoding="utf-8")
    config = library(tmp_path, "papers.txt", arxiv_api=web.url("/api/query"))
    references = load(config, clock, tmp_path)
    assert [r.paper.id for r in references] == ["2202.12139", "2405.13786", "2005.14124",
                                                "cs/0503050", "2204.08348"]
    [request] = web.requests
    assert request.query == {"id_list": "2202.12139,2405.13786,2005.14124,cs/0503050,2204.08348",
                             "max_results": "5"}
    first = references[0]
    assert first.paper.title.startswith("Testing Deep Learning Models")
    assert first.paper.summary.startswith("Deep Learning (DL) has revolutionized")
    assert first.paper.authors[0] == "Mohit Kumar Ahuja" and first.added == date(2026, 10, 2)
    assert references[1].added is None  # no day on its line: not known
    assert "papers.txt: 1 line is not an arXiv id or link (line 8); left out." in caplog.messages
    assert "Read 5 papers from the list of arXiv ids papers.txt (newest added 2026-10-02)." in caplog.messages

    fresh = HttpClient(HttpPolicy(timeout=5, retries=0), clock=clock)  # no response cache at all
    assert load_library(config, fresh, tmp_path / "state", {}) == references
    assert len(web.requests) == 1 and fresh.requests == 0  # ids do not change: asked once

    offline = LibraryConfig(arxiv_api="http://127.0.0.1:9/", shelves=config.shelves, offline=True)
    assert load(offline, clock, tmp_path) == references


def test_id_list_asks_a_hundred_ids_at_a_time_three_seconds_apart(web, tmp_path, clock, caplog):
    web.routes["/api/query"] = arxiv_id_list
    times: list[float] = []
    web.on_request = lambda request: times.append(clock.now)
    unknown = [f"2501.{n:05d}" for n in range(30)]
    listed = [i.decode() for i in RECORDED_IDS] + unknown
    (tmp_path / "many.txt").write_text("\n".join(listed), encoding="utf-8")
    references = load(library(tmp_path, "many.txt", arxiv_api=web.url("/api/query")), clock, tmp_path)
    assert len(references) == 100
    assert [len(r.query["id_list"].split(",")) for r in web.requests] == [100, 30]
    assert [r.query["max_results"] for r in web.requests] == ["100", "30"]
    assert [round(b - a, 3) for a, b in itertools.pairwise(times)] == [3.0]
    assert ("many.txt: arXiv has no paper 2501.00000, 2501.00001, 2501.00002, 2501.00003, "
            "2501.00004 and 25 more; left out.") in caplog.messages


def test_id_list_when_arxiv_cannot_answer_is_a_warning_and_what_is_known(web, tmp_path, clock, caplog):
    (tmp_path / "ids.txt").write_text("2202.12139\n", encoding="utf-8")
    gone = library(tmp_path, "ids.txt", arxiv_api="http://127.0.0.1:9/api/query")
    assert load(gone, clock, tmp_path) == []
    assert "ids.txt: could not look up the id 2202.12139 on arXiv (" in caplog.text

    web.routes["/api/query"] = Reply.file(DATA / "arxiv-api" / "id-list-0000.0000-empty.200.xml")
    (tmp_path / "ids.txt").write_text("0000.0000\n", encoding="utf-8")
    assert load(library(tmp_path, "ids.txt", arxiv_api=web.url("/api/query")), clock, tmp_path) == []
    assert "ids.txt: arXiv has no paper 0000.0000; left out." in caplog.messages

    web.routes["/api/query"] = Reply.file(DATA / "arxiv-api" / "id-list-abc-error.400.xml")
    caplog.clear()
    assert load(library(tmp_path, "ids.txt", arxiv_api=web.url("/api/query")), clock, tmp_path) == []
    assert "arXiv says: incorrect id format for abc" in caplog.text


# -- several libraries, and the config ---------------------------------------------------------


def test_one_paper_in_two_libraries_is_one_reference(web, tmp_path, clock):
    web.routes["/api/query"] = arxiv_id_list
    (tmp_path / "ids.txt").write_text("2302.03287 2026-11-01\n", encoding="utf-8")
    (tmp_path / "refs.bib").write_text(BIBTEX, encoding="utf-8")
    config = library(tmp_path, "refs.bib", "ids.txt", arxiv_api=web.url("/api/query"))
    found = by_id(load(config, clock, tmp_path))
    both = found["2302.03287"]
    assert both.paper.summary.startswith("Over the past decade")  # arXiv's: the .bib has none
    assert both.added == date(2026, 10, 5)  # added to the .bib first
    assert len(found) == 4

    short = Reference(Paper("x", "T", "short"), added=date(2026, 1, 2))
    long = Reference(Paper("x", "T", "a longer abstract"), added=None)
    assert merge([short, long]) == [Reference(long.paper, added=date(2026, 1, 2))]


def test_paths_are_relative_to_the_config_file_and_expand_home(make_config, tmp_path, monkeypatch):
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "team.bib").write_text("", encoding="utf-8")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "ids.txt").write_text("", encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = make_config('[listener]\nlibrary = ["refs/team.bib", "~/ids.txt", "zotero:group/77"]\n'
                         'zotero_key_env = "TEAM_ZOTERO"\n')
    library_config = config.listener.library
    assert [(s.form, s.where) for s in library_config.shelves] == [
        ("bibtex", str(tmp_path / "refs" / "team.bib")), ("ids", str(tmp_path / "home" / "ids.txt")),
        ("zotero-web", "group/77")]
    assert library_config.zotero_key_env == "TEAM_ZOTERO"
    assert library_config.zotero_api == "https://api.zotero.org"
    assert library_config.arxiv_api == "https://export.arxiv.org/api/query"
    assert make_config("").listener.library == LibraryConfig()
    one = make_config('[listener]\nlibrary = "refs/team.bib"\n').listener.library.shelves
    assert [s.form for s in one] == ["bibtex"]


@pytest.mark.parametrize(("value", "problem"), [
    ('"missing.bib"', 'listener.library = "missing.bib": no such file: {tmp}/missing.bib'),
    ('["refs.bib", "~/Zotero/zotero.sqlite"]', 'listener.library = "~/Zotero/zotero.sqlite": no such '
     "file: {home}/Zotero/zotero.sqlite"),
    ('"papers.docx"', 'listener.library = "papers.docx": not a library podcast can read (.docx file); '
     "give a Zotero database (zotero.sqlite), zotero:user/<id> or zotero:group/<id>"),
    ('"zotero:users/1"', 'listener.library = "zotero:users/1": not a library podcast can read; give a '
     "Zotero database"),
    ('"https://example.org/refs.bib"', "not a library podcast can read; give"),
    ('"refs"', 'listener.library = "refs": not a file: {tmp}/refs'),
    ("3", "listener.library = 3: must be a path, or a list of paths and zotero:user/<id> or "
     "zotero:group/<id> sources"),
    ('["refs.bib", ""]', "must be a path, or a list of paths"),
])
def test_a_wrong_library_is_one_config_error_naming_the_key_and_the_path(make_config, tmp_path, monkeypatch,
                                                                         value, problem):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "refs.bib").write_text("", encoding="utf-8")
    (tmp_path / "refs").mkdir()
    with pytest.raises(ConfigError) as caught:
        make_config(f"[listener]\nlibrary = {value}\n")
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "podcast.toml") + ": ") and "\n" not in message
    assert problem.format(tmp=tmp_path, home=tmp_path / "home") in message


def test_the_api_settings_are_checked(make_config):
    with pytest.raises(ConfigError, match=r'listener\.zotero_api = "api\.zotero\.org": must be an http'):
        make_config('[listener]\nzotero_api = "api.zotero.org"\n')
    with pytest.raises(ConfigError, match=r"listener\.libary: unknown key; did you mean library\?"):
        make_config('[listener]\nlibary = "refs.bib"\n')


def test_an_unreadable_library_file_is_one_error_when_it_is_loaded(tmp_path, clock):
    path = tmp_path / "refs.ris"
    path.write_text("TY  - JOUR\n", encoding="utf-8")
    config = library(tmp_path, "refs.ris")
    path.unlink()
    with pytest.raises(SourceError) as caught:
        load(config, clock, tmp_path)
    assert str(caught.value) == (f'listener.library = "refs.ris" ({path}): cannot read the file: '
                                 "No such file or directory")


def test_the_papers_command_reads_the_library(make_config, tmp_path, caplog):
    from podcast import pipeline

    from .conftest import FILE_SOURCE, OFFLINE_TTS, SATURDAY_MORNING

    (tmp_path / "refs.bib").write_text(BIBTEX, encoding="utf-8")
    config = make_config(textwrap.dedent("""\
        [listener]
        library = "refs.bib"
        """) + FILE_SOURCE + OFFLINE_TTS)
    choice = pipeline.preview(config, now=SATURDAY_MORNING)
    assert choice.picks
    assert "Read 4 papers from the BibTeX file refs.bib (newest added 2026-11-02)." in caplog.messages
    assert pipeline.offline(config).listener.library.offline
    assert not config.listener.library.offline
