"""Find each Model Openness Framework component in a snapshot, from file names and the model card.

A component is ``present`` when the folder holds it (a file, a card section, a card field that *is* the
component, such as ``model-index`` for evaluation results), ``referenced`` when the card only points to it
(a dataset id, an arXiv link, a code repository, the library that runs the model): a reference cannot be
checked offline, so it is reported apart. Nothing is opened except the card and GGUF headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..core.provenance import Citation, GGUFGeneral, ModelCard
from ..core.report import Snapshot
from ..provenance.configs import ConfigFacts
from . import catalogue as mof

MAX_CITED_FILES = 5

_WEIGHT_SUFFIXES = (
    ".safetensors",
    ".gguf",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".onnx",
    ".h5",
    ".keras",
    ".msgpack",
    ".tflite",
    ".mlmodel",
    ".npz",
    ".llamafile",
)
_NOT_WEIGHTS = re.compile(r"^(training_args|optimizer|scheduler|scaler|rng_state)[\w.-]*$")
_CHECKPOINT_DIR = re.compile(r"^(checkpoint|ckpt|step|iter|global_step|stage|revision)[-_]?\d+|^intermediate")
_CODE = r"\.(py|sh|ipynb)$"
_ARCH_CODE = re.compile(r"^(modeling_[\w-]+|model|models|architecture[\w-]*|configuration_[\w-]+)\.py$")
_TRAIN_CODE = re.compile(r"^(train|training|finetune|fine_tune|pretrain|sft|dpo|rlhf|grpo)[\w-]*" + _CODE)
_INFER_CODE = re.compile(
    r"^(inference|infer|generate|generation|run|demo|example|predict|serve|chat)[\w-]*" + _CODE
)
_EVAL_CODE = re.compile(r"^(eval|evaluate|evaluation|benchmark)[\w-]*" + _CODE)
_PREP_CODE = re.compile(r"^(preprocess|prepare|process|clean|dedup|filter|tokeniz)[\w-]*" + _CODE)
_DATA_FILE = re.compile(r"\.(parquet|arrow|jsonl|json|csv|tsv|txt)(\.gz|\.zst)?$")
_DATA_DIRS = frozenset({"data", "dataset", "datasets", "training_data", "train_data"})
_EVAL_DIRS = frozenset({"eval", "evals", "evaluation", "evaluations", "benchmark", "benchmarks"})
_TRAIN_DIRS = frozenset({"train", "training", "recipes", "finetune"})
_RESULT_FILE = re.compile(r"^(eval_results|results|evaluation|benchmark)[\w-]*\.(json|md|csv)$")
_DATA_CARD_FILE = re.compile(r"^(data_?card|datasheet|dataset_?card)[\w-]*\.(md|txt|pdf)$")
_SAMPLE_FILE = re.compile(r"^(sample|example)s?_?outputs?[\w-]*\.\w+$")
_LIBRARY_FILE = re.compile(
    r"^(requirements[\w-]*\.txt|setup\.py|setup\.cfg|pyproject\.toml|environment\.ya?ml|Pipfile)$"
)
_METADATA_FILE = re.compile(r"^(config|generation_config|params|model_index)\.json$")
_REPORT_PDF = re.compile(r"(report|technical|system[_-]?card)[\w-]*\.pdf$")

_USAGE_TITLE = re.compile(
    r"usage|quick ?start|how to (use|run|get started)|inference|getting started|example|"
    r"run(ning)? the model",
    re.IGNORECASE,
)
_RESULTS_TITLE = re.compile(r"evaluation|results|benchmark|performance", re.IGNORECASE)
_DATA_TITLE = re.compile(
    r"training data|dataset|data card|datasheet|training corpus|pre-?training data|^data\b", re.IGNORECASE
)
_SAMPLES_TITLE = re.compile(r"(sample|example) (model )?outputs?|generation examples", re.IGNORECASE)
_ARXIV = re.compile(r"arxiv\.org/(abs|pdf)/|\barxiv:\s*\d{4}\.\d{4,5}", re.IGNORECASE)
_REPORT_TEXT = re.compile(
    r"technical report|tech report|system card|model report|white ?paper", re.IGNORECASE
)
_TRAIN_TEXT = re.compile(
    r"train(ing)? (code|script|recipe|repo|framework|pipeline)|fine-?tuning (code|script)|"
    r"github\.com/\S*train",
    re.IGNORECASE,
)
_EVAL_TEXT = re.compile(
    r"lm-evaluation-harness|lighteval|opencompass|evalplus|evaluation (code|script|harness|suite)",
    re.IGNORECASE,
)
_PREP_TEXT = re.compile(
    r"(data )?(pre-?)?processing (code|script|pipeline)|data (pipeline|curation code)", re.IGNORECASE
)
_INTERMEDIATE_TEXT = re.compile(
    r"intermediate checkpoints?|revision\s*=\s*[\"']?step|checkpoints? (are|is) "
    r"(also )?available|training checkpoints",
    re.IGNORECASE,
)
_LINK = re.compile(r"https?://|\]\(")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TRAIN_FILE = re.compile(r"\b(train|finetune|fine_tune|pretrain)\w*\.(py|sh|ipynb)\b", re.IGNORECASE)
_EVAL_FILE = re.compile(r"\b(eval|evaluate|evaluation|benchmark)\w*\.(py|sh|ipynb)\b", re.IGNORECASE)
_PREP_FILE = re.compile(
    r"\b(preprocess|prepare_data|process_data|clean|dedup)\w*\.(py|sh|ipynb)\b", re.IGNORECASE
)


@dataclass(slots=True)
class Found:
    status: str = "missing"
    citations: list[Citation] = field(default_factory=list)
    note: str | None = None

    def present(self, cites: Iterable[Citation], note: str | None = None) -> None:
        if self.status != "present":
            self.status, self.citations, self.note = "present", [], note
        self.citations.extend(cites)

    def referenced(self, cites: Iterable[Citation], note: str | None = None) -> None:
        if self.status == "missing":
            self.status, self.note = "referenced", note
        if self.status == "referenced":
            self.citations.extend(cites)


def detect(
    snapshot: Snapshot, card: ModelCard | None, ggufs: Sequence[GGUFGeneral], configs: ConfigFacts
) -> dict[int, Found]:
    found = {spec.id: Found() for spec in mof.COMPONENTS}
    _files(snapshot, found)
    _configs(configs, ggufs, found)
    if card is not None:
        _card(card, found)
    for item in found.values():
        item.citations = item.citations[: MAX_CITED_FILES * 4]
    return found


def _files(snapshot: Snapshot, found: dict[int, Found]) -> None:
    buckets: dict[int, list[str]] = {}
    for file in snapshot.files:
        parts = file.rel.split("/")
        base, dirs = parts[-1], [p.lower() for p in parts[:-1]]
        lower = base.lower()
        for cid in _classify_file(base, lower, dirs):
            buckets.setdefault(cid, []).append(file.rel)
    for cid, rels in buckets.items():
        note = f"{len(rels)} file(s)" if len(rels) > MAX_CITED_FILES else None
        found[cid].present((Citation(rel) for rel in rels[:MAX_CITED_FILES]), note)


def _classify_file(base: str, lower: str, dirs: list[str]) -> list[int]:
    out: list[int] = []
    in_checkpoint = any(_CHECKPOINT_DIR.match(d) for d in dirs)
    if lower.endswith(_WEIGHT_SUFFIXES) and not _NOT_WEIGHTS.match(lower):
        out.append(mof.INTERMEDIATE_PARAMETERS if in_checkpoint else mof.MODEL_PARAMETERS)
    if in_checkpoint:
        return out
    rules: tuple[tuple[int, Callable[[], bool]], ...] = (
        (mof.MODEL_ARCHITECTURE, lambda: bool(_ARCH_CODE.match(lower))),
        (
            mof.TRAINING_CODE,
            lambda: (
                bool(_TRAIN_CODE.search(lower)) or (lower.endswith(".py") and bool(_TRAIN_DIRS & set(dirs)))
            ),
        ),
        (
            mof.INFERENCE_CODE,
            lambda: (
                bool(_INFER_CODE.search(lower))
                and not _EVAL_CODE.search(lower)
                and "eval" not in lower
                and "train" not in lower
            ),
        ),
        (
            mof.EVALUATION_CODE,
            lambda: (
                bool(_EVAL_CODE.search(lower)) or (lower.endswith(".py") and bool(_EVAL_DIRS & set(dirs)))
            ),
        ),
        (mof.EVALUATION_DATA, lambda: bool(_DATA_FILE.search(lower)) and bool(_EVAL_DIRS & set(dirs))),
        (mof.DATASETS, lambda: bool(_DATA_FILE.search(lower)) and bool(_DATA_DIRS & set(dirs))),
        (mof.DATA_PREPROCESSING_CODE, lambda: bool(_PREP_CODE.search(lower))),
        (mof.EVALUATION_RESULTS, lambda: bool(_RESULT_FILE.match(lower))),
        (mof.DATA_CARD, lambda: bool(_DATA_CARD_FILE.match(lower))),
        (
            mof.SAMPLE_OUTPUTS,
            lambda: bool(_SAMPLE_FILE.match(lower)) or ("samples" in dirs and not lower.endswith(".py")),
        ),
        (mof.SUPPORTING_LIBRARIES, lambda: not dirs and bool(_LIBRARY_FILE.match(base))),
        (mof.MODEL_METADATA, lambda: not dirs and bool(_METADATA_FILE.match(lower))),
        (mof.TECHNICAL_REPORT, lambda: bool(_REPORT_PDF.search(lower))),
        (mof.RESEARCH_PAPER, lambda: lower.endswith(".pdf") and not _REPORT_PDF.search(lower)),
    )
    out.extend(cid for cid, rule in rules if rule())
    return out


def _configs(configs: ConfigFacts, ggufs: Sequence[GGUFGeneral], found: dict[int, Found]) -> None:
    if found[mof.MODEL_ARCHITECTURE].status == "present":
        return
    if configs.architectures or configs.model_type:
        named = ", ".join(configs.architectures) or configs.model_type
        found[mof.MODEL_ARCHITECTURE].present(
            [configs.architecture_cite or Citation("config.json", value=named)],
            f"defined by config.json ({named}); the implementation is in the library that loads it",
        )
        return
    for gguf in ggufs:
        arch = gguf.text("general.architecture")
        if arch is not None:
            found[mof.MODEL_ARCHITECTURE].present(
                [gguf.cite("general.architecture")],
                f"defined by GGUF metadata ({arch}); the implementation is in llama.cpp",
            )
            found[mof.MODEL_METADATA].present([gguf.cite("general.architecture")])
            return


def _card(card: ModelCard, found: dict[int, Found]) -> None:
    if card.has_front_matter or card.body.strip():
        found[mof.MODEL_CARD].present([Citation(card.file, line=card.headline_line, value=card.headline)])
    if card.eval_results:
        found[mof.EVALUATION_RESULTS].present(
            [
                Citation(
                    card.file,
                    key="model-index",
                    line=card.line_of("model-index"),
                    value=f"{len(card.eval_results)} result(s)",
                )
            ]
        )
        datasets = sorted({r.dataset for r in card.eval_results if r.dataset})
        if datasets:
            found[mof.EVALUATION_DATA].referenced(
                [
                    Citation(
                        card.file,
                        key="model-index",
                        line=card.line_of("model-index"),
                        value=", ".join(datasets)[:300],
                    )
                ],
                "benchmarks named in model-index",
            )
    for section in card.sections:
        cite = Citation(card.file, line=section.line, value=section.title)
        if section.has_code and _USAGE_TITLE.search(section.title):
            found[mof.INFERENCE_CODE].present([cite], "usage code in the model card")
        if _RESULTS_TITLE.search(section.title):
            if section.has_table:
                found[mof.EVALUATION_RESULTS].present([cite])
            elif section.has_link:
                found[mof.EVALUATION_RESULTS].referenced([cite], "the card's results section links elsewhere")
        if _DATA_TITLE.search(section.title):
            found[mof.DATA_CARD].present([cite], "training data section of the model card")
        if _SAMPLES_TITLE.search(section.title):
            found[mof.SAMPLE_OUTPUTS].present([cite])
    if card.datasets:
        cites = [
            Citation(
                card.file, key="datasets", line=card.line_of("datasets"), value=", ".join(card.datasets)[:300]
            )
        ]
        found[mof.DATASETS].referenced(cites, "dataset ids listed in the card")
        found[mof.DATA_CARD].referenced(cites, "data cards of the listed datasets")
    if card.library_name:
        cite = Citation(
            card.file, key="library_name", line=card.line_of("library_name"), value=card.library_name
        )
        found[mof.INFERENCE_CODE].referenced([cite], f"run through the {card.library_name} library")
        found[mof.SUPPORTING_LIBRARIES].referenced([cite])
    arxiv_tags = [t for t in card.tags if t.lower().startswith("arxiv:")]
    if arxiv_tags:
        found[mof.RESEARCH_PAPER].referenced(
            [Citation(card.file, key="tags", line=card.line_of("tags"), value=", ".join(arxiv_tags))]
        )
    _body(card, found)


def _body(card: ModelCard, found: dict[int, Found]) -> None:
    """Card lines that point to a component outside the folder: a link next to the words that name it, or
    a script named by file. Table rows are skipped (dataset tables link their own papers and code)."""
    rules = (
        (mof.RESEARCH_PAPER, _ARXIV, False),
        (mof.TECHNICAL_REPORT, _REPORT_TEXT, True),
        (mof.TRAINING_CODE, _TRAIN_TEXT, True),
        (mof.TRAINING_CODE, _TRAIN_FILE, False),
        (mof.EVALUATION_CODE, _EVAL_TEXT, True),
        (mof.EVALUATION_CODE, _EVAL_FILE, False),
        (mof.DATA_PREPROCESSING_CODE, _PREP_TEXT, True),
        (mof.DATA_PREPROCESSING_CODE, _PREP_FILE, False),
        (mof.INTERMEDIATE_PARAMETERS, _INTERMEDIATE_TEXT, False),
    )
    hits: dict[int, list[Citation]] = {}
    for offset, line in enumerate(card.body.split("\n")):
        if _TABLE_ROW.match(line):
            continue
        for cid, pattern, needs_link in rules:
            match = pattern.search(line)
            if match is not None and (not needs_link or _LINK.search(line)) and len(hits.get(cid, ())) < 3:
                hits.setdefault(cid, []).append(
                    Citation(card.file, line=card.body_line + offset, value=line.strip()[:200])
                )
    for cid, cites in hits.items():
        found[cid].referenced(cites)
