"""The 17 components of the Model Openness Framework 1.0 (MOF white paper 2024-12-15; the ids, classes, content
types and required flags of ``lfai/model_openness_tool`` ``mof.settings.yml``, as summarised in the research
notes licenses.md §3.1). Classes are cumulative: Class II needs every Class III component, Class I every Class
II and III component. A technical report may be replaced by a research paper."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    id: int
    name: str
    mof_class: int
    content_type: str  # "code" | "data" | "document"
    required: bool


MODEL_ARCHITECTURE = 9
MODEL_PARAMETERS = 10
TECHNICAL_REPORT = 11
EVALUATION_RESULTS = 12
MODEL_CARD = 13
DATA_CARD = 14
SAMPLE_OUTPUTS = 20
TRAINING_CODE = 7
INFERENCE_CODE = 8
EVALUATION_CODE = 18
EVALUATION_DATA = 19
SUPPORTING_LIBRARIES = 22
DATASETS = 15
DATA_PREPROCESSING_CODE = 16
MODEL_METADATA = 17
RESEARCH_PAPER = 21
INTERMEDIATE_PARAMETERS = 24

COMPONENTS: tuple[ComponentSpec, ...] = (
    ComponentSpec(MODEL_ARCHITECTURE, "Model architecture", 3, "code", True),
    ComponentSpec(MODEL_PARAMETERS, "Model parameters (Final)", 3, "data", True),
    ComponentSpec(TECHNICAL_REPORT, "Technical report", 3, "document", True),
    ComponentSpec(EVALUATION_RESULTS, "Evaluation results", 3, "document", True),
    ComponentSpec(MODEL_CARD, "Model card", 3, "document", True),
    ComponentSpec(DATA_CARD, "Data card", 3, "document", True),
    ComponentSpec(SAMPLE_OUTPUTS, "Sample model outputs", 3, "document", False),
    ComponentSpec(TRAINING_CODE, "Training code", 2, "code", True),
    ComponentSpec(INFERENCE_CODE, "Inference code", 2, "code", True),
    ComponentSpec(EVALUATION_CODE, "Evaluation code", 2, "code", True),
    ComponentSpec(EVALUATION_DATA, "Evaluation data", 2, "data", True),
    ComponentSpec(SUPPORTING_LIBRARIES, "Supporting libraries and tools", 2, "code", False),
    ComponentSpec(DATASETS, "Datasets", 1, "data", True),
    ComponentSpec(DATA_PREPROCESSING_CODE, "Data preprocessing code", 1, "code", True),
    ComponentSpec(MODEL_METADATA, "Model metadata", 1, "data", False),
    ComponentSpec(RESEARCH_PAPER, "Research paper", 1, "document", True),
    ComponentSpec(INTERMEDIATE_PARAMETERS, "Model parameters (Intermediate)", 1, "data", True),
)

BY_ID = {c.id: c for c in COMPONENTS}

# Components that may stand in for another when the other is not satisfied.
SUBSTITUTES = {TECHNICAL_REPORT: RESEARCH_PAPER}
