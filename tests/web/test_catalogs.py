"""The translation catalogs cover every string the pages use, in both languages, and the page shells."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from harness.hub import start_hub
from harness.sample import VENUE, small_roster
from recordings.rtmp import FAILURES
from rooms.carry import RANKED
from rooms.commands import BIDANG, ELECTORATES, METHODS, SCALES, SUMBER_DANA
from rooms.session import LEVELS
from server.keys import SESSIONS, SIGNER
from server.provision import found_session
from web import pages
from web.i18n import LANGUAGES, catalog

WEB = Path(__file__).resolve().parents[2] / "web"
# t("key") and t('key') in templates and JS; template-literal keys are checked as families below
LITERAL = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""")
FAMILIES = {
    "bidang": BIDANG, "sumber_dana": SUMBER_DANA, "scale": SCALES, "method": METHODS,
    "status": ("draft", "live", "closed"), "pstatus": ("submitted", "accepted", "merged", "rejected"),
    "bstatus": ("open", "closed"), "astatus": ("pending", "open", "done"), "mode": ("interactive", "viewonly"),
    "network": ("connected", "disconnected", "never", "publishing", "lossy", "problem"), "lang": LANGUAGES,
    "conn": ("connecting", "online", "offline", "missing", "refused"),
    "error": ("invalid", "unknown_command", "unauthorized", "forbidden", "not_found", "conflict", "already_voted",
              "not_eligible",
              "already_supported", "no_browser_token", "interactive_limit", "proposal_limit", "session_closed",
              "session_not_live", "rate_limited",
              "version_conflict", "internal", "offline", "timeout", "unknown",
              "chain_broken", "carry_mismatch", "origin_mismatch", "level_mismatch", "already_carried",
              "nothing_to_carry", "no_next_level", "too_large", "not_an_image", "too_many_photos", "photo_quota",
              "unknown_opd"),
    "level": LEVELS, "cstatus": ("submitted", "accepted", "rejected", "merged", RANKED),
    "electorate": ELECTORATES, "ekind": ELECTORATES,
    "tab": ("screening", "ballots", "participants", "agenda", "attendance", "network"),
    "screening": ("done_accept", "done_merge", "done_reject"),
    "broadcast.state": ("waiting", "connecting", "live", "reconnecting", "failed", "stopped"),
    "broadcast.reason": (*FAILURES, "exited"),
    "proposal.field": ("title", "description", "masalah", "bidang", "dusun", "rt", "rw", "volume", "unit", "cost",
                       "sumber_dana", "scale"),
}


# a count's forms, as Intl.PluralRules names them: "ballot.votes.one", "ballot.votes.other"
PLURAL = re.compile(r"\.(zero|one|two|few|many|other)$")


def base_keys(lang: str) -> set[str]:
    """A catalog's keys with plural forms folded into their key (each language has the forms it needs)."""
    return {PLURAL.sub("", key) for key in catalog(lang)}


def used_keys() -> set[str]:
    files = [*WEB.glob("templates/*.html"), *WEB.glob("static/js/*.js")]
    return {key for f in files for key in LITERAL.findall(f.read_text(encoding="utf-8"))}


def test_both_catalogs_have_the_same_keys_and_no_blank_text() -> None:
    first, *others = (base_keys(lang) for lang in LANGUAGES)
    for other in others:
        assert other == first
    assert all(text.strip() for lang in LANGUAGES for text in catalog(lang).values())


def test_every_count_has_its_other_form() -> None:
    """t(key, {n}) falls back to key.other: a pluralised key always has it, and no bare key beside it."""
    for lang in LANGUAGES:
        keys = set(catalog(lang))
        for key in keys:
            if PLURAL.search(key):
                stem = PLURAL.sub("", key)
                assert f"{stem}.other" in keys and stem not in keys, (lang, key)
    assert catalog("en")["ballot.votes.one"] == "{n} vote"


def test_every_key_the_pages_use_is_translated() -> None:
    keys = used_keys() | {f"{family}.{value}" for family, values in FAMILIES.items() for value in values}
    assert len(keys) > 150  # the scan found the pages' strings
    for lang in LANGUAGES:
        missing = sorted(keys - base_keys(lang))
        assert not missing, (lang, missing)


def test_scripts_hold_no_words_of_their_own() -> None:
    """User-facing text lives in the catalogs: no JS string literal reads like an Indonesian sentence."""
    words = re.compile(r"""["'`][^"'`]*\b(yang|dan|tidak|sudah|belum|desa|usulan)\b[^"'`]*["'`]""", re.I)
    for f in WEB.glob("static/js/*.js"):
        code = "\n".join(line for line in f.read_text(encoding="utf-8").splitlines()
                         if not line.lstrip().startswith(("//", "*", "/*")))
        assert not words.findall(code), f.name


async def test_page_shells_escape_switch_language_and_404(tmp_path: Path) -> None:
    runner, url, app = await start_hub(tmp_path, "sqlite", "mhweb-shell")
    try:
        sid, _ = await found_session(app[SESSIONS], app[SIGNER], url, "Sidang <b>uji</b>", small_roster(), VENUE)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # an IP host
            async with http.get(f"{url}/s/{sid}/chair") as r:
                html = await r.text()
                assert r.status == 200 and '<html lang="id">' in html
                assert "Sidang &lt;b&gt;uji&lt;/b&gt;" in html and "<b>uji</b>" not in html
                assert "script-src 'self'" in r.headers["Content-Security-Policy"]
                assert "Pimpinan sidang" in html
            async with http.get(f"{url}/s/{sid}?lang=en") as r:
                assert r.status == 200 and '<html lang="en">' in await r.text()
                assert r.cookies["lang"].value == "en"
            async with http.get(f"{url}/s/{sid}/village") as r:  # the cookie remembers the choice
                assert '<html lang="en">' in await r.text()
            async with http.get(f"{url}/s/no-such-session/moderator") as r:
                assert r.status == 404 and "Page not found" in await r.text()
            async with http.get(f"{url}/s/{sid}/operator") as r:
                assert r.status == 404
            async with http.get(f"{url}/vendor/socket.io/socket.io.esm.min.js") as r:
                assert r.status == 200 and "javascript" in r.content_type
            async with http.get(f"{url}/vendor/socket.io/../../package.json") as r:
                assert r.status == 404
            async with http.get(URL(f"{url}/vendor/socket.io/..%2F..%2Fpages.py", encoded=True)) as r:
                assert r.status == 404
    finally:
        await runner.cleanup()


def test_a_hub_built_without_its_socket_io_client_says_so_when_it_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A wheel built before ``npm ci`` leaves the client out without a word: the hub is the one to tell."""
    wiring = pages.Wiring(sessions=lambda: None, admit=lambda request, response: False)  # type: ignore[arg-type,return-value]
    with caplog.at_level(logging.WARNING, "web.pages"):
        pages.endpoints(wiring)
        assert not caplog.records
        monkeypatch.setattr(pages, "VENDOR", tmp_path)
        pages.endpoints(wiring)
    assert "npm ci" in caplog.text
