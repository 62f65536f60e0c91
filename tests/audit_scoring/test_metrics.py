"""Agreement metrics against scikit-learn's implementations on fixed label lists."""

from __future__ import annotations

import pytest
from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, f1_score

from weighbridge.audit.scoring.metrics import agreement, cohen_kappa, confusion_matrix, format_agreement

GOLD = ["complete"] * 8 + ["evasive"] * 3 + ["denial"] * 2
PRED = ["complete"] * 7 + ["evasive"] + ["evasive", "complete", "denial"] + ["denial", "evasive"]


def test_matches_scikit_learn() -> None:
    m = agreement(GOLD, PRED)
    binary_gold = [g == "complete" for g in GOLD]
    binary_pred = [p == "complete" for p in PRED]
    assert m.binary.balanced_accuracy == pytest.approx(balanced_accuracy_score(binary_gold, binary_pred))
    assert m.binary.kappa == pytest.approx(cohen_kappa_score(binary_gold, binary_pred))
    assert m.macro_f1 == pytest.approx(f1_score(GOLD, PRED, average="macro"))
    assert cohen_kappa(GOLD, PRED) == pytest.approx(cohen_kappa_score(GOLD, PRED))
    assert m.confusion["denial"] == {"complete": 0, "evasive": 1, "denial": 1}
    assert sum(sum(r.values()) for r in m.confusion.values()) == len(GOLD)


def test_degenerate_cases() -> None:
    always = agreement(GOLD, ["complete"] * len(GOLD))
    assert always.binary.balanced_accuracy == pytest.approx(0.5)
    assert always.binary.kappa == pytest.approx(0.0)
    assert cohen_kappa(["a", "a"], ["a", "a"]) == 1.0
    assert cohen_kappa([], []) == 0.0
    assert confusion_matrix(["x"], ["complete"], ["complete"]) == {"complete": {"complete": 0}}
    with pytest.raises(ValueError, match="gold has 1"):
        agreement(["complete"], [])


def test_format_lists_every_number() -> None:
    text = format_agreement(agreement(GOLD, PRED))
    assert "balanced accuracy" in text and "kappa" in text and "macro-F1" in text
    assert text.splitlines()[-1].split() == ["denial", "0", "1", "1"]
