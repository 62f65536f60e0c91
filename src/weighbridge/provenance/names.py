"""Names as metadata states them: Hugging Face repo ids (bare, ``hf:``-prefixed or as Hub URLs) and
organization names compared after normalization ("Meta Platforms, Inc." = "meta platforms"; the GGUF
converter's "Deepseek Ai" = the Hub org ``deepseek-ai``)."""

from __future__ import annotations

import re
import unicodedata

_PART = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}"
_REPO_ID = re.compile(rf"({_PART})/({_PART})")
_HUB_URL = re.compile(
    rf"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/({_PART})/({_PART})(?:[/?#].*)?$", re.IGNORECASE
)
# First path segments of huggingface.co that are not organizations or users.
_NOT_ORGS = frozenset(
    {
        "datasets",
        "spaces",
        "docs",
        "blog",
        "papers",
        "models",
        "api",
        "collections",
        "organizations",
        "settings",
        "join",
        "login",
        "pricing",
        "new",
        "chat",
        "learn",
        "tasks",
        "posts",
        "enterprise",
        "search",
        "storage-regions",
    }
)
# Legal-form words dropped from the end of organization names before comparing.
_LEGAL_FORMS = frozenset(
    {
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "co",
        "corp",
        "corporation",
        "company",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "bv",
        "nv",
        "pte",
        "pty",
        "lp",
        "llp",
        "kk",
        "oy",
        "ab",
        "spa",
        "srl",
    }
)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def repo_id(text: str) -> str | None:
    """``org/name`` when ``text`` is a Hugging Face model id (``org/name``, ``hf:org/name[@rev]``, or a
    huggingface.co URL of a model); None otherwise (local paths, other URLs, single names)."""
    value = text.strip()
    if value.startswith("hf:"):
        value = value[3:].split("@", 1)[0]
    url = _HUB_URL.match(value)
    if url is not None:
        org, name = url.group(1), url.group(2)
    else:
        plain = _REPO_ID.fullmatch(value)
        if plain is None:
            return None
        org, name = plain.group(1), plain.group(2)
    if org.lower() in _NOT_ORGS or ".." in org + name or "--" in org + name:
        return None
    if name.endswith(".git"):
        name = name[:-4]
    return f"{org}/{name}" if name else None


def org_of(repo: str) -> str:
    return repo.split("/", 1)[0]


def name_of(repo: str) -> str:
    return repo.split("/", 1)[-1]


def hub_url(repo: str) -> str:
    return f"https://huggingface.co/{repo}"


def normalize(name: str) -> str:
    """Lower-case ASCII words without punctuation or a trailing legal form ("Co., Ltd.", "Inc.")."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    words = _NON_ALNUM.sub(" ", folded).split()
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def same_model(a: str, b: str) -> bool:
    """Two model names or ids denote the same model ("Llama 3.1 8B" and ``meta-llama/Llama-3.1-8B``)."""
    left, right = normalize(name_of(a)), normalize(name_of(b))
    return bool(left) and left == right


def shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
