"""The licences of the two real test artifacts, as their publishers state them."""

from __future__ import annotations

import json

from artifacts import minilm_folder, smollm2_gguf
from weighbridge.core.license import LicenseSourceKind
from weighbridge.license import analyse_file, render_license_json


def test_minilm_folder_is_apache_by_its_card() -> None:
    analysis = analyse_file(minilm_folder())
    assert analysis.identity is not None
    assert (analysis.identity.id, analysis.identity.spdx, analysis.identity.osi_approved) == (
        "apache-2.0",
        "Apache-2.0",
        True,
    )
    assert [(s.kind, s.file, s.line, s.value) for s in analysis.sources] == [
        (LicenseSourceKind.CARD, "README.md", 3, "apache-2.0")
    ]
    assert analysis.conflicts == [] and analysis.terms_basis == "profile"
    assert analysis.terms is not None and analysis.terms.commercial_use.value == "allowed"
    assert analysis.evidence[0].quote == "license: apache-2.0"


def test_smollm2_gguf_declares_apache() -> None:
    analysis = analyse_file(smollm2_gguf())
    assert analysis.identity is not None and analysis.identity.id == "apache-2.0"
    [source] = analysis.sources
    assert (source.kind, source.key, source.value) == (
        LicenseSourceKind.GGUF,
        "general.license",
        "apache-2.0",
    )
    doc = json.loads(render_license_json(analysis))
    assert doc["license"]["osi_approved"] is True and doc["license"]["terms"]["user_cap"] is None
    assert analysis.notes == [
        "no text of apache-2.0 was found; its terms come from Weighbridge's built-in profile of that licence"
    ]
