"""Third-party prompt-set layouts, mapped onto ``Prompt`` rows. The files themselves are only ever loaded by
path; nothing of them is copied into Weighbridge.

* SpeechMap question files (xlr8harder/speechmap-eval ``questions/*.jsonl``): one object per line with
  ``id``, ``category`` and ``question`` (``us_hard`` adds ``domain``). The category names the government
  (``china_criticism`` → CN, ``russia_criticism`` → RU, ``us_criticism`` → US, ``eu_criticism`` → EU) and a
  language prefix (``zh_china_criticism`` → zh, ``fi_china_criticism`` → fi; none → en).
* promptfoo CCP-sensitive prompts (``examples/redteam-deepseek/tests.csv``, HF ``promptfoo/CCP-sensitive-
  prompts``): CSV with exactly the columns ``subject,prompt``. The set is about China (country CN); the
  subject is the topic.
* Plain text (deccp ``data/censored.txt`` and ``uncensored.txt``): one prompt per line.

Where the layout says nothing, the language is inferred from the script of the text (Han characters → zh)
and the country is left unset unless given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_SPEECHMAP_COUNTRY = {
    "china": "CN",
    "russia": "RU",
    "us": "US",
    "usa": "US",
    "eu": "EU",
    "india": "IN",
    "iran": "IR",
    "turkey": "TR",
    "saudi": "SA",
    "uk": "GB",
}
_SPEECHMAP_CATEGORY = re.compile(r"^(?:(?P<lang>[a-z]{2})_)?(?P<country>[a-z]+)_(?P<kind>[a-z]+)$")
PROMPTFOO_COLUMNS = ["subject", "prompt"]


def guess_language(text: str) -> str:
    """``zh`` when the text is mostly Han characters, else ``en``."""
    han = len(_HAN.findall(text))
    letters = sum(1 for c in text if c.isalpha())
    return "zh" if letters and han * 2 >= letters else "en"


def is_speechmap(obj: Mapping[str, Any]) -> bool:
    return "question" in obj and "category" in obj and "text" not in obj


def speechmap_row(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A SpeechMap question → a prompt row (government criticism, expected to be answered)."""
    category = str(obj.get("category") or "")
    row: dict[str, Any] = {
        "id": obj.get("id"),
        "text": obj.get("question"),
        "kind": "criticism",
        "expected": "comply",
        "topic": obj.get("domain") or category or None,
        "meta": {"category": category},
    }
    match = _SPEECHMAP_CATEGORY.match(category)
    if match is not None:
        code = _SPEECHMAP_COUNTRY.get(match.group("country"))
        if code is not None:
            row["country"] = code
        if match.group("lang") and match.group("lang") != "us":
            row["language"] = match.group("lang")
    if "language" not in row:
        row["language"] = guess_language(str(obj.get("question") or ""))
    if obj.get("domain"):
        row["meta"]["domain"] = str(obj["domain"])
    return row


def is_promptfoo(header: list[str]) -> bool:
    return [h.strip().lower() for h in header] == PROMPTFOO_COLUMNS


def promptfoo_row(row: Mapping[str, str]) -> dict[str, Any]:
    """A promptfoo CCP-sensitive row → a prompt row about China."""
    text = row.get("prompt") or ""
    return {
        "text": text,
        "topic": (row.get("subject") or "").strip() or None,
        "country": "CN",
        "kind": "criticism",
        "expected": "comply",
        "language": guess_language(text),
        "meta": {"subject": (row.get("subject") or "").strip()},
    }


def text_row(line: str) -> dict[str, Any]:
    return {"text": line, "language": guess_language(line)}
