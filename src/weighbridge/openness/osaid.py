"""OSI Open Source AI Definition 1.0: a system is open source AI when its preferred form for modification is
available under terms that grant the four freedoms — parameters under OSI-approved terms, the complete code
to train and run it (data processing, training, validation and testing, inference) under OSI-approved
licences, and data information detailed enough to rebuild a substantially equivalent system (a listing of
the training data suffices; the raw data is not required). A model whose weights are available but which
misses any of these is "open weights"."""

from __future__ import annotations

from collections.abc import Mapping

from ..core.provenance import OpennessComponent, OSAIDRequirement, OSAIDResult
from . import catalogue

CODE_COMPONENTS = (
    catalogue.DATA_PREPROCESSING_CODE,
    catalogue.TRAINING_CODE,
    catalogue.EVALUATION_CODE,
    catalogue.INFERENCE_CODE,
)


def evaluate_osaid(
    components: tuple[OpennessComponent, ...], license_id: str | None, license_osi: bool | None
) -> OSAIDResult:
    by_id = {c.id: c for c in components}
    weights = by_id[catalogue.MODEL_PARAMETERS]
    requirements = (_parameters(weights, license_id, license_osi), _code(by_id), _data_information(by_id))
    has_weights = weights.status == "present"

    def verdict(met: bool) -> str:
        return "open-source-ai" if met and has_weights else "open-weights" if has_weights else "no-weights"

    return OSAIDResult(
        verdict=verdict(all(r.met for r in requirements)),
        verdict_if_references_hold=verdict(all(r.met_if_references_hold for r in requirements)),
        requirements=requirements,
    )


def _parameters(weights: OpennessComponent, license_id: str | None, osi: bool | None) -> OSAIDRequirement:
    reasons = []
    if weights.status != "present":
        reasons.append("parameters: no model weights in the folder")
    if osi is False:
        reasons.append(
            f"parameters: the weights licence {license_id or '(unnamed)'} is not OSI-approved, so the "
            "freedom to use for any purpose without permission is not granted"
        )
    elif osi is None:
        reasons.append("parameters: the weights licence is not identified")
    met = not reasons
    return OSAIDRequirement("parameters", met, met, tuple(reasons), weights.citations)


def _code(by_id: Mapping[int, OpennessComponent]) -> OSAIDRequirement:
    reasons = []
    referenced_only = True
    for cid in CODE_COMPONENTS:
        component = by_id[cid]
        if component.satisfied and component.license.type_appropriate:
            continue
        if component.status == "missing":
            reasons.append(f"code: {component.name.lower()} is not available")
            referenced_only = False
        elif component.status == "referenced":
            reasons.append(
                f"code: {component.name.lower()} is only referenced by the card, not in the folder"
            )
            referenced_only = referenced_only and component.license.open is True
        else:
            reasons.append(
                f"code: {component.name.lower()} is not under an OSI-approved licence "
                f"({component.license.id or 'licence not identified'})"
            )
            referenced_only = False
    cites = tuple(c for cid in CODE_COMPONENTS for c in by_id[cid].citations[:2])
    return OSAIDRequirement("code", not reasons, referenced_only, tuple(reasons), cites)


def _data_information(by_id: Mapping[int, OpennessComponent]) -> OSAIDRequirement:
    data_card = by_id[catalogue.DATA_CARD]
    datasets = by_id[catalogue.DATASETS]
    reasons = []
    if data_card.status != "present":
        reasons.append(
            "data information: no description of the training data in the folder (data card or a "
            "training-data section of the model card)"
        )
    if datasets.status == "missing":
        reasons.append(
            "data information: the training data is not listed (card datasets field or data files)"
        )
    met_if_references = data_card.status in ("present", "referenced") and datasets.status != "missing"
    return OSAIDRequirement(
        "data_information",
        not reasons,
        met_if_references,
        tuple(reasons),
        data_card.citations[:2] + datasets.citations[:2],
    )
