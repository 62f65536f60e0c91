"""Numbers as licences write them: "700 million", "100,000,000", "50M", "US$10M", "20 million US dollars"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_SCALES = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "mn": 10**6,
    "mio": 10**6,
    "m": 10**6,
    "mm": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "trillion": 10**12,
}
_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twenty": 20,
    "fifty": 50,
    "hundred": 100,
}
NUMBER = (
    r"(?P<num>\d{1,3}(?:[,\u00a0\u202f]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty)(?:\s+hundred)?|a\s+hundred)"
    r"(?:\s*\(\s*[\d,.]+\s*\))?"  # "one hundred (100) million"
    r"\s*(?P<scale>thousand|million|billion|trillion|mio|mn|bn|mm|[kmb])?(?![\w$])"
)
_NUMBER_RE = re.compile(NUMBER, re.IGNORECASE)
_USD_PREFIX = r"(?:U\.?S\.?\s?\$|USD\s?\$?|US\s?dollars?\s|\$)"
_USD_SUFFIX = r"(?:\s*(?:U\.?S\.?|United\s+States)?\s*(?:dollars?|USD)\b)"
_OTHER_PREFIX = r"(?P<cur>€|EUR\s?|£|GBP\s?|¥|CNY\s?|RMB\s?)"
_OTHER_SUFFIX = r"(?:\s*(?P<cur2>euros?|EUR|pounds?(?:\s+sterling)?|GBP|yuan|renminbi|RMB|CNY)\b)"
MONEY = re.compile(
    rf"(?:{_USD_PREFIX}\s*(?P<a>{NUMBER.replace('?P<num>', '?P<n1>').replace('?P<scale>', '?P<s1>')})"
    rf"|(?P<b>{NUMBER.replace('?P<num>', '?P<n2>').replace('?P<scale>', '?P<s2>')}){_USD_SUFFIX}"
    rf"|{_OTHER_PREFIX}\s*(?P<c>{NUMBER.replace('?P<num>', '?P<n3>').replace('?P<scale>', '?P<s3>')})"
    rf"|(?P<d>{NUMBER.replace('?P<num>', '?P<n4>').replace('?P<scale>', '?P<s4>')}){_OTHER_SUFFIX})",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str  # "USD", "EUR", "GBP", "CNY"
    start: int
    end: int


def to_int(number: str, scale: str | None) -> int | None:
    """``"700", "million"`` -> 700000000; None when it is not a number."""
    text = number.strip().lower()
    text = re.sub(r"\s*\(.*\)", "", text)
    value: Decimal
    if text in _WORDS or " " in text or text.startswith("a "):
        words = text.split()
        total = 1
        for word in words:
            if word == "a":
                continue
            if word not in _WORDS:
                return None
            total = total * 100 if word == "hundred" else total * _WORDS[word]
        value = Decimal(total)
    else:
        try:
            value = Decimal(re.sub(r"[,\u00a0\u202f]", "", text))
        except InvalidOperation:
            return None
    if scale:
        value *= _SCALES[scale.lower()]
    return int(value)


def numbers(text: str) -> list[tuple[int, int, int]]:
    """Every number in ``text`` as (value, start, end)."""
    out: list[tuple[int, int, int]] = []
    for match in _NUMBER_RE.finditer(text):
        if match.start() > 0 and (text[match.start() - 1].isalnum() or text[match.start() - 1] in ".$"):
            continue
        value = to_int(match.group("num"), match.group("scale"))
        if value is not None:
            out.append((value, match.start(), match.end()))
    return out


def money(text: str) -> list[Money]:
    """Every sum of money in ``text`` with its currency."""
    out: list[Money] = []
    for match in MONEY.finditer(text):
        for n, s, currency in (
            ("n1", "s1", "USD"),
            ("n2", "s2", "USD"),
            ("n3", "s3", None),
            ("n4", "s4", None),
        ):
            if match.group(n) is None:
                continue
            value = to_int(match.group(n), match.group(s))
            if value is None:
                break
            cur = currency or _currency(match.group("cur") or match.group("cur2") or "")
            out.append(Money(value, cur, match.start(), match.end()))
            break
    return out


def _currency(symbol: str) -> str:
    s = symbol.strip().lower()
    if s in ("€", "eur") or s.startswith("euro"):
        return "EUR"
    if s in ("£", "gbp") or s.startswith("pound"):
        return "GBP"
    return "CNY"
