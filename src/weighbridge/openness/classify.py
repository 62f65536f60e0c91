"""``classify(snapshot)``: find the openness components in the folder and its card, resolve their licences
from the weights licence the caller passes in, and grade them by the MOF and the OSI definition."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..core.provenance import Citation, MetadataProblem, Openness
from ..core.report import Snapshot
from ..provenance.card import find_card, read_card
from ..provenance.configs import read_configs
from ..provenance.gguf_meta import MAX_GGUF_FILES, find_gguf_files, read_gguf_general
from .detect import detect
from .licensing import LicenseFlag
from .mof import build_components, evaluate_mof
from .osaid import evaluate_osaid

_TOKENIZER = re.compile(
    r"^(tokenizer\.json|tokenizer\.model|tokenizer_config\.json|vocab\.(json|txt)|merges\.txt|"
    r"spiece\.model|sentencepiece[\w.-]*\.model|[\w.-]+\.tiktoken)$",
    re.IGNORECASE,
)


def classify(
    snapshot: Snapshot,
    *,
    weights_license_id: str | None,
    weights_license_osi: bool | None,
    other_licenses: Mapping[str | int, LicenseFlag] | None = None,
) -> Openness:
    """Openness of a resolved target.

    ``weights_license_id``/``weights_license_osi`` describe the weights (distribution) licence, as identified
    elsewhere. ``other_licenses`` optionally gives licences for a content type (``"code"``, ``"data"``,
    ``"document"``) or a MOF component id, as ``(id, osi_approved)``; everything else falls back to the
    weights licence, the way the Model Openness Tool resolves licences.
    """
    card_file = find_card(snapshot)
    card = read_card(card_file) if card_file is not None else None
    ggufs = tuple(read_gguf_general(f) for f in find_gguf_files(snapshot)[:MAX_GGUF_FILES])
    configs = read_configs(snapshot)
    found = detect(snapshot, card, ggufs, configs)
    components = build_components(found, (weights_license_id, weights_license_osi), other_licenses or {})
    problems: list[MetadataProblem] = []
    if card is not None:
        problems.extend(card.problems)
    tokenizer = [Citation(f.rel) for f in snapshot.files if _TOKENIZER.match(f.rel.rsplit("/", 1)[-1])]
    tokenizer += [g.cite("tokenizer.ggml.model") for g in ggufs if g.text("tokenizer.ggml.model")]
    return Openness(
        weights_license_id=weights_license_id,
        weights_license_osi=weights_license_osi,
        mof=evaluate_mof(components),
        osaid=evaluate_osaid(components, weights_license_id, weights_license_osi),
        tokenizer=tuple(tokenizer),
        problems=tuple(problems),
    )
