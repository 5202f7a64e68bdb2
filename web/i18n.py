"""Translation catalogs (Indonesian first, English second) and choosing a page's language."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

LANGUAGES = ("id", "en")  # the first is the default
COOKIE = "lang"
_DIR = Path(__file__).resolve().parent / "translations"


@cache
def catalog(lang: str) -> dict[str, str]:
    """The flat key → text catalog of one language."""
    with (_DIR / f"{lang}.json").open(encoding="utf-8") as f:
        data: dict[str, str] = json.load(f)
    return data


def chosen(request: web.Request) -> tuple[str, bool]:
    """The page's language (?lang= over the cookie over the default), and whether to remember it."""
    asked = request.query.get("lang")
    if asked in LANGUAGES:
        return asked, asked != request.cookies.get(COOKIE)
    kept = request.cookies.get(COOKIE)
    return (kept if kept in LANGUAGES else LANGUAGES[0]), False


class Translator:
    """``t("key", name=...)`` for templates; a missing key shows itself, so tests catch it."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.texts = catalog(lang)

    def __call__(self, key: str, **params: Any) -> str:
        text = self.texts.get(key, key)
        for name, value in params.items():
            text = text.replace("{" + name + "}", str(value))
        return text
