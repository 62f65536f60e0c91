"""Agreement between two labelings (the scorer's and a gold set's): pure Python, no numpy.

    m = agreement(gold, predicted)          # sequences of label strings, same length
    m.binary.balanced_accuracy, m.binary.kappa, m.macro_f1, m.confusion

"Positive" in the binary view is *not complete* (a refusal or an evasion): balanced accuracy is the mean of
the recall on complete answers and the recall on non-complete ones, so always answering "complete" scores
0.5 however skewed the set is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

COMPLETE = "complete"
THREE_CLASSES: tuple[str, ...] = ("complete", "evasive", "denial")


@dataclass(frozen=True)
class BinaryAgreement:
    """Complete vs not complete."""

    n: int
    accuracy: float
    balanced_accuracy: float
    kappa: float
    precision_not_complete: float
    recall_not_complete: float
    recall_complete: float


@dataclass(frozen=True)
class Agreement:
    n: int
    accuracy: float  # exact agreement over ``labels``
    macro_f1: float
    per_class_f1: dict[str, float]
    labels: tuple[str, ...]
    confusion: dict[str, dict[str, int]]  # gold label → predicted label → count
    binary: BinaryAgreement


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def confusion_matrix(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Counts of (gold, predicted) pairs; pairs whose labels are not in ``labels`` are dropped."""
    _check_lengths(gold, predicted)
    matrix = {g: dict.fromkeys(labels, 0) for g in labels}
    for g, p in zip(gold, predicted, strict=True):
        if g in matrix and p in matrix[g]:
            matrix[g][p] += 1
    return matrix


def cohen_kappa(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Cohen's kappa: agreement corrected for what the two marginals would give by chance."""
    _check_lengths(gold, predicted)
    n = len(gold)
    if n == 0:
        return 0.0
    observed = sum(g == p for g, p in zip(gold, predicted, strict=True)) / n
    labels = set(gold) | set(predicted)
    expected = sum((gold.count(lab) / n) * (predicted.count(lab) / n) for lab in labels)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def f1_scores(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """One-vs-rest F1 of each label (0 when a label is neither predicted nor present)."""
    _check_lengths(gold, predicted)
    out: dict[str, float] = {}
    for lab in labels:
        tp = sum(g == lab and p == lab for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != lab and p == lab for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == lab and p != lab for g, p in zip(gold, predicted, strict=True))
        out[lab] = _ratio(2 * tp, 2 * tp + fp + fn)
    return out


def binary_agreement(gold: Sequence[str], predicted: Sequence[str]) -> BinaryAgreement:
    """Complete vs not complete, from three-class (or any) labels."""
    g = ["complete" if x == COMPLETE else "not" for x in gold]
    p = ["complete" if x == COMPLETE else "not" for x in predicted]
    pairs = list(zip(g, p, strict=True))
    tp = sum(a == "not" and b == "not" for a, b in pairs)
    tn = sum(a == "complete" and b == "complete" for a, b in pairs)
    fp = sum(a == "complete" and b == "not" for a, b in pairs)
    fn = sum(a == "not" and b == "complete" for a, b in pairs)
    recall_not = _ratio(tp, tp + fn)
    recall_complete = _ratio(tn, tn + fp)
    return BinaryAgreement(
        n=len(pairs),
        accuracy=_ratio(tp + tn, len(pairs)),
        balanced_accuracy=(recall_not + recall_complete) / 2,
        kappa=cohen_kappa(g, p),
        precision_not_complete=_ratio(tp, tp + fp),
        recall_not_complete=recall_not,
        recall_complete=recall_complete,
    )


def agreement(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = THREE_CLASSES
) -> Agreement:
    """All the numbers at once. Rows whose gold label is not in ``labels`` must be removed by the caller
    (say how many); a prediction outside ``labels`` counts as wrong."""
    _check_lengths(gold, predicted)
    f1 = f1_scores(gold, predicted, labels)
    return Agreement(
        n=len(gold),
        accuracy=_ratio(sum(a == b for a, b in zip(gold, predicted, strict=True)), len(gold)),
        macro_f1=_ratio(sum(f1.values()), len(f1)),
        per_class_f1=f1,
        labels=tuple(labels),
        confusion=confusion_matrix(gold, predicted, labels),
        binary=binary_agreement(gold, predicted),
    )


def format_agreement(m: Agreement) -> str:
    """A plain-text block: binary metrics, three-class metrics, the confusion matrix (rows are gold)."""
    b = m.binary
    lines = [
        f"rows: {m.n}",
        f"complete vs not: balanced accuracy {b.balanced_accuracy:.3f}, Cohen's kappa {b.kappa:.3f}, "
        f"accuracy {b.accuracy:.3f}, recall(not complete) {b.recall_not_complete:.3f}, "
        f"recall(complete) {b.recall_complete:.3f}, precision(not complete) {b.precision_not_complete:.3f}",
        f"three classes: macro-F1 {m.macro_f1:.3f}, accuracy {m.accuracy:.3f}, F1 "
        + ", ".join(f"{k} {v:.3f}" for k, v in m.per_class_f1.items()),
        "confusion (rows gold, columns predicted):",
        f"  {'':10}" + "".join(f"{lab:>10}" for lab in m.labels),
    ]
    for g in m.labels:
        lines.append(f"  {g:10}" + "".join(f"{m.confusion[g][p]:>10}" for p in m.labels))
    return "\n".join(lines)


def _check_lengths(gold: Sequence[str], predicted: Sequence[str]) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} labels but predicted has {len(predicted)}")
