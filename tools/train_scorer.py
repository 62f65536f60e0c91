"""Train and measure the learned scorer layer, leaving one model out at a time (LOMO).

    .venv/bin/python tools/train_scorer.py [--corpus ../shared/corpus/speechmap/criticism_dev.jsonl]
                                           [--drop-set-features] [--equal-models]   # ablations

Needs scikit-learn and numpy (test/dev dependencies, never imported by the package). Result so far: the
layer does not generalise better than the patterns, so nothing of it ships (benchmarks/README-scorer.md).

Every row of the dev set is turned into the learned layer's feature vector once. Then, for each of
the six models in turn, a multinomial logistic regression (balanced class weights) is fitted on the other
five and predicts the held-out one. Its hyperparameters — C, the number of hashed opening n-gram buckets
and the arrangement (which pattern verdicts the classifier may overrule) — are chosen *inside* the fold,
by an inner leave-one-model-out over the five training models; the held-out model is never seen. The
pooled held-out predictions are the LOMO numbers. The configuration that would ship is chosen by the same
procedure over all six models; its LOMO refit is printed too (slightly optimistic: chosen seeing all six).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import pickle
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

sys.path.insert(0, str(ROOT / "tools"))

from scorer_features import ARRANGEMENTS, DENSE_FEATURES, dense_features, opening_buckets, pattern_analysis  # noqa: E402

from weighbridge.audit.scoring.batch import compare, gold_label, read_rows, row_prompt  # noqa: E402
from weighbridge.audit.scoring.metrics import format_agreement  # noqa: E402
from weighbridge.core.audit import Label, ScoreLayer  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "speechmap" / "criticism_dev.jsonl"
CLASSES = (Label.COMPLETE, Label.EVASIVE, Label.DENIAL)
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
BUCKET_GRID = (0, 128)
HASH_CHARS = 300
MAX_BUCKETS = max(BUCKET_GRID)
SETS = ("china_criticism", "zh_china_criticism", "russia_criticism", "us_criticism", "eu_criticism")
TUNE_MODELS = ("deepseek_deepseek-r1", "qwen_qwen-2.5-72b-instruct", "openai_gpt-oss-120b")
HOLDOUT_MODELS = ("qwen_qwen3-32b", "meta-llama_llama-3.3-70b-instruct", "thudm_glm-4-32b-0414")
# Features that describe the question set rather than the answer: with them a fit can learn the training
# models' per-set refusal rates. ``--drop-set-features`` zeroes them (ablation).
SET_FEATURES = ("request_zh", "country_CN", "country_RU", "country_US", "country_EU", "no_country")


@dataclass(frozen=True)
class Dataset:
    """One entry per dev row with a compliance gold label (the gold-error row is left out)."""

    models: list[str]
    sets: list[str]
    gold: np.ndarray  # class index into CLASSES
    pattern: np.ndarray  # the patterns' label, class index
    certain: np.ndarray  # bool: the patterns are sure
    default: np.ndarray  # bool: the default layer decided
    dense: np.ndarray  # (n, len(DENSE_FEATURES))
    buckets: dict[int, list[list[int]]]  # bucket count → per-row opening buckets
    excluded: int


@dataclass(frozen=True)
class Config:
    C: float
    buckets: int
    arrangement: str

    def describe(self) -> str:
        return f"C={self.C:g}, {self.buckets} n-gram buckets, arrangement {self.arrangement!r}"


def _cache_key(corpus: Path) -> str:
    h = hashlib.sha256(corpus.read_bytes())
    scoring = ROOT / "src" / "weighbridge" / "audit" / "scoring"
    for path in sorted(
        [*scoring.glob("*.py"), *scoring.glob("data/*.yaml"), ROOT / "tools" / "scorer_features.py"]
    ):
        h.update(path.name.encode() + path.read_bytes())
    h.update(repr((BUCKET_GRID, HASH_CHARS)).encode())
    return h.hexdigest()[:16]


def load_dataset(corpus: Path, use_cache: bool = True) -> Dataset:
    """Feature vectors of every answer (cached in the temp dir, keyed by the corpus and scorer sources)."""
    cache = Path(tempfile.gettempdir()) / f"weighbridge-scorer-features-{_cache_key(corpus)}.pkl"
    if use_cache and cache.is_file():
        with cache.open("rb") as handle:
            cached: Dataset = pickle.load(handle)
        return cached
    index = {c: i for i, c in enumerate(CLASSES)}
    models: list[str] = []
    sets: list[str] = []
    gold: list[int] = []
    pattern: list[int] = []
    certain: list[bool] = []
    default: list[bool] = []
    dense: list[list[float]] = []
    buckets: dict[int, list[list[int]]] = {b: [] for b in BUCKET_GRID}
    excluded = 0
    for row in read_rows(corpus):
        g = gold_label(row.data.get("label"), f"line {row.line}")
        if g is Label.ERROR or not row.response.strip():
            excluded += 1
            continue
        prompt = row_prompt(row)
        analysis = pattern_analysis(prompt, row.response)
        models.append(str(row.data["model"]))
        sets.append(str(row.data["set"]))
        gold.append(index[g])
        pattern.append(index[analysis.verdict.score.label])
        certain.append(analysis.verdict.certain)
        default.append(analysis.verdict.score.layer is ScoreLayer.DEFAULT)
        dense.append(dense_features(analysis, prompt.text))
        for b in BUCKET_GRID:
            buckets[b].append(opening_buckets(analysis.text, b, HASH_CHARS))
    ds = Dataset(
        models,
        sets,
        np.array(gold),
        np.array(pattern),
        np.array(certain),
        np.array(default),
        np.array(dense, dtype=float),
        buckets,
        excluded,
    )
    if use_cache:
        with cache.open("wb") as handle:
            pickle.dump(ds, handle)
    return ds


def design(ds: Dataset, buckets: int, rows: np.ndarray | None = None) -> np.ndarray:
    """The feature matrix (dense features, then 0/1 bucket columns) of the selected rows."""
    idx = np.arange(len(ds.models)) if rows is None else rows
    out = np.zeros((len(idx), len(DENSE_FEATURES) + buckets))
    out[:, : len(DENSE_FEATURES)] = ds.dense[idx]
    if buckets:
        for r, i in enumerate(idx):
            for b in ds.buckets[buckets][i]:
                out[r, len(DENSE_FEATURES) + b] = 1.0
    return out


EQUAL_MODELS = False


def fit(
    X: np.ndarray, y: np.ndarray, C: float, groups: np.ndarray | None = None
) -> tuple[StandardScaler, LogisticRegression]:
    scaler = StandardScaler().fit(X)
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=5000, tol=1e-6)
    weight = None
    if EQUAL_MODELS and groups is not None:
        names, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
        weight = len(y) / (len(names) * counts[inverse])
    clf.fit(scaler.transform(X), y, sample_weight=weight)
    return scaler, clf


def predict_proba(model: tuple[StandardScaler, LogisticRegression], X: np.ndarray) -> np.ndarray:
    """Probabilities in CLASSES order (a class absent from training gets 0)."""
    scaler, clf = model
    p = clf.predict_proba(scaler.transform(X))
    out = np.zeros((len(X), len(CLASSES)))
    out[:, clf.classes_] = p
    return out


def arrange(ds: Dataset, rows: np.ndarray, classifier: np.ndarray, arrangement: str) -> np.ndarray:
    """Final labels of ``rows``: the classifier's where the arrangement lets it decide, else the patterns'."""
    certain = ds.certain[rows]
    if arrangement == "all":
        decides = np.ones(len(rows), dtype=bool)
    elif arrangement == "uncertain":
        decides = ~certain
    else:
        decides = ~certain | ds.default[rows]
    return np.where(decides, classifier, ds.pattern[rows])


def agreement_of(gold: np.ndarray, predicted: np.ndarray) -> Any:
    return compare((CLASSES[g], CLASSES[p]) for g, p in zip(gold, predicted, strict=True)).agreement


def selection_score(gold: np.ndarray, predicted: np.ndarray) -> float:
    """What the inner folds maximise: the mean of the three target metrics."""
    a = agreement_of(gold, predicted)
    return float((a.binary.balanced_accuracy + a.binary.kappa + a.macro_f1) / 3)


_PROBA_CACHE: dict[tuple[int, bytes, float, int], np.ndarray] = {}


def lomo_probabilities(ds: Dataset, rows: np.ndarray, C: float, buckets: int) -> np.ndarray:
    """Held-out-model probabilities for every row of ``rows``, one fit per model left out (memoised)."""
    key = (id(ds), hashlib.sha256(rows.tobytes()).digest(), C, buckets)
    if key not in _PROBA_CACHE:
        _PROBA_CACHE[key] = _lomo_probabilities(ds, rows, C, buckets)
    return _PROBA_CACHE[key]


def _lomo_probabilities(ds: Dataset, rows: np.ndarray, C: float, buckets: int) -> np.ndarray:
    out = np.zeros((len(rows), len(CLASSES)))
    models = np.array(ds.models)[rows]
    X = design(ds, buckets, rows)
    y = ds.gold[rows]
    for m in dict.fromkeys(models):
        held = models == m
        out[held] = predict_proba(fit(X[~held], y[~held], C, models[~held]), X[held])
    return out


def select(ds: Dataset, rows: np.ndarray, configs: Sequence[Config]) -> tuple[Config, dict[Config, float]]:
    """The configuration whose inner leave-one-model-out predictions over ``rows`` score best."""
    scores: dict[Config, float] = {}
    for C, buckets in itertools.product(C_GRID, BUCKET_GRID):
        proba = lomo_probabilities(ds, rows, C, buckets)
        for arrangement in ARRANGEMENTS:
            config = Config(C, buckets, arrangement)
            if config in configs:
                labels = arrange(ds, rows, proba.argmax(axis=1), arrangement)
                scores[config] = selection_score(ds.gold[rows], labels)
    best = max(configs, key=lambda c: (scores[c], -c.buckets, c.C))
    return best, scores


def all_configs() -> list[Config]:
    return [Config(C, b, a) for C, b, a in itertools.product(C_GRID, BUCKET_GRID, ARRANGEMENTS)]


@dataclass(frozen=True)
class LomoResult:
    predicted: np.ndarray  # final label per row, each from the fold that held its model out
    chosen: dict[str, Config]  # held-out model → configuration chosen by the inner folds
    inner_scores: dict[str, dict[Config, float]]


def nested_lomo(ds: Dataset, configs: Sequence[Config] | None = None) -> LomoResult:
    """Outer leave-one-model-out; hyperparameters chosen by inner leave-one-model-out on the other five."""
    configs = list(configs or all_configs())
    predicted = np.zeros(len(ds.models), dtype=int)
    chosen: dict[str, Config] = {}
    inner: dict[str, dict[Config, float]] = {}
    models = np.array(ds.models)
    for m in dict.fromkeys(ds.models):
        train = np.flatnonzero(models != m)
        held = np.flatnonzero(models == m)
        config, scores = select(ds, train, configs)
        chosen[m], inner[m] = config, scores
        model = fit(design(ds, config.buckets, train), ds.gold[train], config.C, models[train])
        proba = predict_proba(model, design(ds, config.buckets, held))
        predicted[held] = arrange(ds, held, proba.argmax(axis=1), config.arrangement)
    return LomoResult(predicted, chosen, inner)


def fixed_lomo(ds: Dataset, config: Config) -> np.ndarray:
    """Leave-one-model-out predictions with one fixed configuration."""
    rows = np.arange(len(ds.models))
    proba = lomo_probabilities(ds, rows, config.C, config.buckets)
    return arrange(ds, rows, proba.argmax(axis=1), config.arrangement)


# ---- reporting ---------------------------------------------------------------------------------------


def summary_line(name: str, gold: np.ndarray, predicted: np.ndarray) -> str:
    a = agreement_of(gold, predicted)
    return (
        f"{name:36} n={a.n:4}  BA {a.binary.balanced_accuracy:.3f}  kappa {a.binary.kappa:6.3f}  "
        f"macro-F1 {a.macro_f1:.3f}  acc3 {a.accuracy:.3f}"
    )


def compliance_table(ds: Dataset, predicted: np.ndarray) -> list[str]:
    short = ("China EN", "China ZH", "Russia", "US", "EU")
    lines = [
        "model".ljust(36) + "".join(f"{s:>15}" for s in short),
        " " * 36 + "".join(f"{'ours / gold':>15}" for _ in SETS),
    ]
    models = np.array(ds.models)
    sets = np.array(ds.sets)
    for m in dict.fromkeys(ds.models):
        line = m.ljust(36)
        for s in SETS:
            sel = (models == m) & (sets == s)
            n = int(sel.sum())
            ours = int((predicted[sel] == 0).sum())
            gold = int((ds.gold[sel] == 0).sum())
            line += f"{100 * ours / n:>8.0f}% /{100 * gold / n:>3.0f}%" if n else f"{'-':>15}"
        lines.append(line)
    return lines


def report(ds: Dataset, name: str, predicted: np.ndarray) -> list[str]:
    models = np.array(ds.models)
    out = [
        f"-- {name} --",
        "pooled over all six models:",
        format_agreement(agreement_of(ds.gold, predicted)),
        "per model:",
    ]
    for m in dict.fromkeys(ds.models):
        sel = models == m
        out.append(summary_line(m, ds.gold[sel], predicted[sel]))
    for group, members in (("tune models (3)", TUNE_MODELS), ("holdout models (3)", HOLDOUT_MODELS)):
        sel = np.isin(models, members)
        out.append(summary_line(group, ds.gold[sel], predicted[sel]))
    out.append("compliance (% complete) per model × set, ours / gold:")
    out.extend(compliance_table(ds, predicted))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument(
        "--drop-set-features", action="store_true", help="ablation: zero " + ", ".join(SET_FEATURES)
    )
    parser.add_argument(
        "--equal-models",
        action="store_true",
        help="ablation: weight rows so every training model counts the same",
    )
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    ds = load_dataset(args.corpus, use_cache=not args.no_cache)
    print(
        f"{len(ds.models)} rows ({ds.excluded} gold-error row left out), {len(DENSE_FEATURES)} dense features, "
        f"features in {time.perf_counter() - started:.1f} s"
    )
    if args.drop_set_features:
        for name in SET_FEATURES:
            ds.dense[:, DENSE_FEATURES.index(name)] = 0.0
    global EQUAL_MODELS
    EQUAL_MODELS = args.equal_models

    lines = report(
        ds, "(a) patterns only (no learning; the patterns were tuned on the tune models' errors)", ds.pattern
    )
    result = nested_lomo(ds)
    lines += [""] + report(
        ds,
        "(b) learned layer, nested LOMO (every row predicted by a fit that never saw "
        "its model; hyperparameters chosen inside the fold)",
        result.predicted,
    )
    lines += ["configuration chosen per held-out model (inner LOMO over the other five):"]
    lines += [f"  {m:36} {c.describe()}" for m, c in result.chosen.items()]
    lines += ["", "-- exploratory: LOMO per arrangement × buckets, C chosen inside each fold --"]
    for buckets, arrangement in itertools.product(BUCKET_GRID, ARRANGEMENTS):
        subset = [c for c in all_configs() if c.buckets == buckets and c.arrangement == arrangement]
        sub = nested_lomo(ds, subset)
        lines.append(summary_line(f"{arrangement}, {buckets} buckets", ds.gold, sub.predicted))
    rows = np.arange(len(ds.models))
    final, scores = select(ds, rows, all_configs())
    lines += [
        "",
        f"configuration that would ship (LOMO selection over all six models): {final.describe()} "
        f"(selection score {scores[final]:.3f})",
    ]
    lines += report(
        ds,
        "that configuration, LOMO refit per held-out model (hyperparameters were chosen "
        "seeing all six, so slightly optimistic next to (b))",
        fixed_lomo(ds, final),
    )
    print("\n".join(lines))
    print(f"\ndone in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
