"""Fail-open guard: a licence text that grants nothing never comes out as allowing anything.

Proprietary notices, all-rights-reserved lines, "no use without written permission", unrecognised texts and
empty files are written here in our own words. Each term the text does not decide is ``unknown``; a text that
reserves every right is recognised as granting none (``rights_granted`` false, commercial use prohibited).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from weighbridge.core.license import CommercialUse, OutputTraining
from weighbridge.license import analyse_file, analyse_text

NEVER_ALLOWED = {
    "commercial_use": ("unknown", "prohibited"),
    "outputs_train_other_models": ("unknown", "prohibited"),
}

RESERVED = {
    "all-rights-reserved-no-written-permission": """\
Copyright (c) 2026 Halcyon Systems GmbH. All rights reserved.
No use, copying or distribution of these model weights is permitted without the prior written permission
of Halcyon Systems GmbH.
""",
    "proprietary-and-confidential": """\
PROPRIETARY AND CONFIDENTIAL
These weights are the property of Marlin Analytics Ltd. They may not be used, copied, modified or disclosed
without the express written consent of Marlin Analytics Ltd. Unauthorized use is strictly prohibited.
""",
    "copyright-line-only": "Copyright 2025 Quarry Labs Inc. All Rights Reserved.\n",
    "no-licence-is-granted": """\
Tidewater Model Notice
Tidewater provides these files for inspection only. No licence is granted to use, copy or deploy them.
""",
}

UNRECOGNISED = {
    "internal-use-note": """\
Nimbus-3B weights
These files were produced by the Nimbus team for internal evaluation. Contact the platform group with
questions about deployment.
""",
    "readme-like-text": """\
About this checkpoint
Trained for 3 epochs on a curated corpus. Evaluation results are in the model card.
""",
    "a-policy-without-a-licence": """\
Responsible Use Guidelines
Do not use the model to generate spam or to impersonate real people.
""",
}


@pytest.mark.parametrize("case", sorted(RESERVED))
def test_reserved_rights_grant_nothing(case: str) -> None:
    analysis = analyse_text(RESERVED[case], "LICENSE")
    terms = analysis.terms
    assert terms is not None
    assert terms.rights_granted is False
    assert terms.commercial_use is CommercialUse.PROHIBITED
    assert terms.outputs_train_other_models in (OutputTraining.UNKNOWN, OutputTraining.PROHIBITED)
    assert terms.redistribution_allowed is not True and terms.hosting != "allowed"
    quoted = [e for e in analysis.evidence if e.term == "rights_granted"]
    assert quoted and quoted[0].file == "LICENSE" and quoted[0].line is not None
    lines = RESERVED[case].splitlines()
    assert quoted[0].quote.split()[0].strip("\u2026") in lines[quoted[0].line - 1]


@pytest.mark.parametrize("case", sorted(UNRECOGNISED))
def test_unrecognised_texts_leave_every_term_unknown(case: str) -> None:
    analysis = analyse_text(UNRECOGNISED[case], "LICENSE")
    terms = analysis.terms
    assert terms is not None
    got = terms.to_dict()
    assert {k: got[k] for k in NEVER_ALLOWED} == {
        "commercial_use": "unknown",
        "outputs_train_other_models": "unknown",
    }
    assert terms.rights_granted is None and terms.redistribution_allowed is None and terms.hosting is None
    assert analysis.identity is None or analysis.identity.id is None  # not mistaken for a known family


@pytest.mark.parametrize("data", [b"", b"\n\n   \n", "\ufeff".encode()])
def test_empty_licence_is_unknown_everywhere(data: bytes) -> None:
    analysis = analyse_text(data, "LICENSE")
    assert analysis.identity is None
    terms = analysis.terms
    assert terms is not None
    got = terms.to_dict()
    assert got["commercial_use"] == "unknown" and got["outputs_train_other_models"] == "unknown"
    assert got["rights_granted"] is None and got["redistribution_allowed"] is None and got["hosting"] is None
    assert not [e for e in analysis.evidence if e.term != "license"]  # nothing quoted: nothing was decided


def test_empty_licence_file_in_a_model_folder(tmp_path: Path) -> None:
    (tmp_path / "LICENSE").write_bytes(b"")
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    analysis = analyse_file(tmp_path)
    assert analysis.identity is None
    terms = analysis.terms
    assert terms is None or (
        terms.commercial_use is CommercialUse.UNKNOWN
        and terms.outputs_train_other_models is OutputTraining.UNKNOWN
    )


def test_reserved_rights_in_a_model_folder_with_a_card(tmp_path: Path) -> None:
    """The card declares nothing known ("other"); the folder's LICENSE reserves all rights."""
    (tmp_path / "LICENSE").write_text(RESERVED["all-rights-reserved-no-written-permission"], encoding="utf-8")
    (tmp_path / "README.md").write_text("---\nlicense: other\n---\n# model\n", encoding="utf-8")
    analysis = analyse_file(tmp_path)
    assert analysis.terms is not None
    assert analysis.terms.rights_granted is False
    assert analysis.terms.commercial_use is CommercialUse.PROHIBITED


def test_a_grant_still_leaves_unsaid_terms_allowed() -> None:
    """The counterpart: a real grant makes what it does not restrict allowed (Apache, MIT and the like)."""
    text = (
        "Cirrus Model Licence\nCirrus Ltd hereby grants you a worldwide, royalty-free licence to use, copy, "
        "modify and distribute the Model.\n"
    )
    terms = analyse_text(text, "LICENSE").terms
    assert terms is not None and terms.rights_granted is True
    assert terms.commercial_use is CommercialUse.ALLOWED
    assert terms.outputs_train_other_models is OutputTraining.ALLOWED


def test_all_rights_reserved_beside_a_grant_is_a_copyright_line() -> None:
    text = (
        "Copyright (c) 2026 Cirrus Ltd. All rights reserved.\nPermission is hereby granted, free of charge, to "
        "any person obtaining a copy of the Model, to deal in it without restriction.\n"
    )
    terms = analyse_text(text, "LICENSE").terms
    assert terms is not None and terms.rights_granted is True
    assert terms.commercial_use is CommercialUse.ALLOWED
