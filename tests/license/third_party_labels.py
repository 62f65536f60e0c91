"""Labels of the third-party licence texts in fixtures/third_party (issue 14): every fact with the clause that
decides it. Read once each, after the clause detectors were written from the legal structure.

A label is ``fact: (value, clause)``; ``clause`` is a phrase of the deciding sentence as it appears in the file
(whitespace-insensitive), or None when nothing in the text decides the fact in the licensee's disfavour (no
threshold, no duty, no territory...). ``NOTES`` says why a judgement call went the way it did.
"""

from __future__ import annotations

from typing import Any

Label = tuple[Any, str | None]

_NO = {
    "user_cap": (None, None),
    "revenue_cap_usd": (None, None),
    "derivative_naming": (None, None),
    "geographic_restrictions": ([], None),
}


def _thudm(grant: str, restriction: str, law: str, **extra: Label) -> dict[str, Label]:
    """The THUDM/Zhipu model licence template (CodeGeeX, CogVideoX, ChatGLM3; reused by aiXcoder)."""
    return {
        **_NO,
        "rights_granted": (True, grant),
        "attribution": (False, None),
        "acceptable_use_policy": (False, None),
        "outputs_train_other_models": ("allowed", None),
        "field_of_use_restrictions": (True, restriction),
        "governing_law_code": ("CN", law),
        **extra,
    }


_NC_RESEARCH_GRANT = "solely for your non-commercial research purposes"
_STABILITY_RESEARCH = {
    **_NO,
    "rights_granted": (True, "Stability AI grants you a non-exclusive"),
    "commercial_use": ("prohibited", _NC_RESEARCH_GRANT),
    "non_commercial": (True, _NC_RESEARCH_GRANT),
    "research_only": (True, _NC_RESEARCH_GRANT),
    "attribution": (False, None),
    "acceptable_use_policy": (False, None),
    "outputs_train_other_models": ("conditional", "or any data produced by the Software"),
    "field_of_use_restrictions": (True, "military purposes or in the service of nuclear technology"),
    "governing_law_code": ("US-CA", "governed and construed under the laws of the State of California"),
}

LABELS: dict[str, dict[str, Label]] = {
    "codegeex2.txt": _thudm(
        "the Licensor hereby grants to you",
        "for any commercial, military, or illegal purposes",
        "in accordance with the laws of People’s Republic of China",
        commercial_use=("prohibited", _NC_RESEARCH_GRANT),
        non_commercial=(True, _NC_RESEARCH_GRANT),
        research_only=(True, _NC_RESEARCH_GRANT),
    ),
    "aixcoder-7b.txt": _thudm(
        "the Licensor hereby grants to you",
        "for any commercial, military, or illegal purposes",
        "in accordance with the laws of People’s Republic of China",
        commercial_use=("prohibited", _NC_RESEARCH_GRANT),
        non_commercial=(True, _NC_RESEARCH_GRANT),
        research_only=(True, _NC_RESEARCH_GRANT),
    ),
    "cogvideox.txt": _thudm(
        "the licensor hereby grants you",
        "for any military, or illegal purposes",
        "in accordance with the laws of People’s Republic of China",
        commercial_use=("conditional", "must register and obtain a basic commercial license"),
        registration_required=(True, "must register and obtain a basic commercial license"),
        user_cap=(1_000_000, "must not exceed 1 million visits per month"),
    ),
    "chatglm3.txt": _thudm(
        "许可方特此授予您",
        "for any military or illegal purposes",
        "in accordance with the laws of People’s Republic of China",
        commercial_use=("conditional", "for commercial purposes must register"),
        registration_required=(True, "for commercial purposes must register"),
    ),
    "diarizen-model.txt": {
        **_NO,
        "rights_granted": (True, "are licensed under the Creative Commons"),
        "commercial_use": ("prohibited", "Attribution-NonCommercial 4.0"),
        "non_commercial": (True, "Attribution-NonCommercial 4.0"),
        "research_only": (True, "released for research purposes only"),
        "attribution": (True, "You must give appropriate credit"),
        "acceptable_use_policy": (False, None),
        "outputs_train_other_models": ("allowed", None),
        "field_of_use_restrictions": (False, None),
        "governing_law_code": (None, None),
    },
    "flux1-dev.txt": {
        **_NO,
        "rights_granted": (True, "Company grants you a non-exclusive"),
        "commercial_use": ("prohibited", "solely for your Non-Commercial Purposes"),
        "non_commercial": (True, "Non-Commercial Use Only"),
        "research_only": (False, None),
        "attribution": (False, None),
        "acceptable_use_policy": (False, None),
        "outputs_train_other_models": (
            "prohibited",
            "You may not use the Output to train, fine-tune or distill",
        ),
        "field_of_use_restrictions": (True, "military purposes, (iii) purposes of surveillance"),
        "governing_law_code": ("US-DE", "under the laws of the State of Delaware"),
    },
    "stable-video-diffusion.txt": {
        **_NO,
        "rights_granted": (True, "Stability AI grants you a non-exclusive"),
        "commercial_use": ("prohibited", "for purposes other than commercial or production use"),
        "non_commercial": (True, "for purposes other than commercial or production use"),
        "attribution": (False, None),
        "acceptable_use_policy": (True, "the AUP (which is hereby incorporated herein by reference)"),
        "outputs_train_other_models": ("allowed", None),
        "field_of_use_restrictions": (True, "the AUP (which is hereby incorporated herein by reference)"),
        "governing_law_code": (None, None),
    },
    "sv3d.txt": {
        **_NO,
        "rights_granted": (True, "Stability AI grants you a non-exclusive"),
        "commercial_use": ("prohibited", "for Non-Commercial Uses only"),
        "non_commercial": (True, "for Non-Commercial Uses only"),
        "attribution": (False, None),
        "acceptable_use_policy": (True, "the AUP (which is hereby incorporated herein by reference)"),
        "outputs_train_other_models": ("allowed", None),
        "field_of_use_restrictions": (True, "the AUP (which is hereby incorporated herein by reference)"),
        "governing_law_code": ("US-CA", "the laws of the United States and the State of California"),
    },
    "sdxl-0.9-research.txt": dict(_STABILITY_RESEARCH),
    "deepfloyd-if.txt": dict(_STABILITY_RESEARCH),
    "apple-starflow-model.txt": {
        **_NO,
        "rights_granted": (True, "Apple hereby grants you a personal"),
        "commercial_use": ("prohibited", "exclusively for Research Purposes"),
        "research_only": (True, "exclusively for Research Purposes"),
        "attribution": (False, None),
        "acceptable_use_policy": (False, None),
        "outputs_train_other_models": ("allowed", None),
        "field_of_use_restrictions": (False, None),
        "governing_law_code": ("US-CA", "under the laws of the State of California"),
    },
    "voicecraft-model.txt": {
        **_NO,
        "rights_granted": (True, "The licensor grants you a copyright license"),
        "commercial_use": ("prohibited", "for any non-commercial purpose"),
        "non_commercial": (True, "allows only non-commercial use"),
        "attribution": (False, None),
        "acceptable_use_policy": (False, None),
        "outputs_train_other_models": (
            "conditional",
            "allows only non-commercial use of a machine learning model and its outputs",
        ),
        "field_of_use_restrictions": (False, None),
        "governing_law_code": (None, None),
    },
    "funasr-model.txt": {
        **_NO,
        "rights_granted": (True, "You are free to use, copy, modify, and share"),
        "commercial_use": ("allowed", None),
        "attribution": (True, "you must attribute the source and author information"),
        "acceptable_use_policy": (False, None),
        "outputs_train_other_models": ("allowed", None),
        "field_of_use_restrictions": (False, None),
        "governing_law_code": (None, None),
    },
    "livekit-turn-detector.txt": {
        **_NO,
        "rights_granted": (True, "you may use these LiveKit models freely"),
        "commercial_use": ("allowed", None),
        "attribution": (False, None),
        "acceptable_use_policy": (False, None),
        "outputs_train_other_models": ("prohibited", "any output from, or results of using, LiveKit Models"),
        "field_of_use_restrictions": (False, None),
        "governing_law_code": ("US-CA", "subject to the laws of the State of California"),
    },
    "minimax-01-model.txt": {
        **_NO,
        "rights_granted": (True, "You are granted a non-exclusive"),
        "commercial_use": ("allowed", None),
        "attribution": (False, None),
        "acceptable_use_policy": (True, "adhere to the Prohibited Uses Policy"),
        "outputs_train_other_models": ("allowed", None),
        "field_of_use_restrictions": (
            True,
            "Assist with, engage in or otherwise support any military purpose",
        ),
        "governing_law_code": ("SG", "under the laws of Singapore"),
    },
    "dbrx.txt": {
        **_NO,
        "rights_granted": (True, "You are granted a non-exclusive"),
        "commercial_use": ("conditional", "greater than 700 million monthly active users"),
        "user_cap": (700_000_000, "greater than 700 million monthly active users"),
        "attribution": (False, None),
        "acceptable_use_policy": (True, "which is hereby incorporated by reference"),
        "outputs_train_other_models": ("prohibited", "or any Output to improve any other"),
        "field_of_use_restrictions": (True, "which is hereby incorporated by reference"),
        "governing_law_code": ("US-CA", "under the laws of the State of California"),
    },
    "kolors.txt": {
        **_NO,
        "rights_granted": (True, "我们授予您非排他性的"),
        "commercial_use": ("conditional", "does not exceed 300 million monthly active users"),
        "user_cap": (300_000_000, "does not exceed 300 million monthly active users"),
        "registration_required": (True, "Your registration with the Licensor will be deemed"),
        "attribution": (False, None),
        "acceptable_use_policy": (
            True,
            "only in accordance with the terms of this Agreement and the Acceptable Use",
        ),
        "outputs_train_other_models": (
            "prohibited",
            "or any Output or results of the Model Works to improve",
        ),
        "field_of_use_restrictions": (True, "You must include the use restrictions referenced"),
        "governing_law_code": ("CN", "will be governed by the laws of China"),
    },
    "gemma-terms-of-use.md": {
        **_NO,
        "rights_granted": (True, "You may use, reproduce, modify, Distribute"),
        "commercial_use": ("allowed", None),
        "attribution": (False, None),
        "acceptable_use_policy": (True, "which is hereby incorporated by reference into"),
        "outputs_train_other_models": ("allowed", "Google claims no rights in Outputs"),
        "field_of_use_restrictions": (True, "which is hereby incorporated by reference into"),
        "governing_law_code": ("US-CA", "governed by the laws of the State of California"),
    },
    "chattts-agpl.txt": {
        **_NO,
        "rights_granted": (True, "All rights granted under this License are granted"),
        "commercial_use": ("allowed", None),
        "attribution": (False, None),
        "acceptable_use_policy": (False, None),
        "outputs_train_other_models": ("allowed", None),
        "field_of_use_restrictions": (False, None),
        "governing_law_code": (None, None),
    },
}

NOTES = {
    "flux1-dev.txt": "attribution false: §3(b)'s 'Attribution Notice' is shown with distributed copies (a Notice "
    "file), not in a product. Outputs: usable commercially, but not to train a competing model.",
    "sdxl-0.9-research.txt": "outputs conditional: §2(a) forbids using 'any data produced by the Software' for "
    "commercial or production purposes (non-commercial use only).",
    "voicecraft-model.txt": "The Coqui Public Model License 1.0.0 (XTTS family): the model and its outputs for "
    "non-commercial purposes only; training other models for commercial use is excluded.",
    "livekit-turn-detector.txt": "field_of_use false is a gap, not a reading: the licence ties use to the LiveKit "
    "Agents framework, a restriction no licence term models yet.",
    "funasr-model.txt": "attribution true: §2.2 requires attributing source and author and keeping the model "
    "names. Governing law is a template placeholder '[Country/Region]': unknown.",
    "minimax-01-model.txt": "The Prohibited Uses Policy is appended to the same file and incorporated by "
    "reference (as the Llama 3 licence file carries its AUP): acceptable_use_policy true.",
    "chattts-agpl.txt": "Plain copyleft: nothing restricts commercial use or outputs; the network-use source duty "
    "(§13) has no licence term of its own (it is read through the family 'gpl').",
}


# --- Held out: read and labelled AFTER the detectors were tuned on the texts above, and never tuned on.
# Their score is the honest measure of how the detectors generalise. ``HELD_OUT_MISSES`` records, per fact the
# detectors get wrong, what they returned, so the test notices both a regression and an improvement.
_RAIL = {
    **_NO,
    "rights_granted": (True, "hereby grants to You a perpetual"),
    "commercial_use": ("allowed", None),
    "attribution": (False, None),
    "acceptable_use_policy": (False, None),
    "outputs_train_other_models": ("allowed", None),
    "field_of_use_restrictions": (True, "Use-based restrictions"),
    "governing_law_code": (None, None),
}
_CC_BY_NC = {
    **_NO,
    "commercial_use": ("prohibited", "Attribution-NonCommercial"),
    "non_commercial": (True, "NonCommercial"),
    "research_only": (False, None),
    "attribution": (True, "CC BY-NC 4.0"),
    "acceptable_use_policy": (False, None),
    "outputs_train_other_models": ("allowed", None),
    "field_of_use_restrictions": (False, None),
    "governing_law_code": (None, None),
}

HELD_OUT: dict[str, dict[str, Label]] = {
    "yayi.txt": _thudm(
        "the Licensor hereby grants to you",
        "for any commercial, military, or illegal purposes",
        "in accordance with the laws of People's Republic of China",
        commercial_use=("prohibited", _NC_RESEARCH_GRANT),
        non_commercial=(True, _NC_RESEARCH_GRANT),
        research_only=(True, _NC_RESEARCH_GRANT),
    ),
    "scfoundation.txt": _thudm(
        "the Licensor hereby grants you",
        "for any commercial, military, or illegal purposes",
        "in accordance with the laws of the People’s Republic of China",
        commercial_use=("prohibited", _NC_RESEARCH_GRANT),
        non_commercial=(True, _NC_RESEARCH_GRANT),
        research_only=(True, _NC_RESEARCH_GRANT),
    ),
    "skypaint.txt": {**_RAIL, "rights_granted": (True, "each Contributor hereby grants to You")},
    "nvs-adapter.txt": {**_RAIL, "rights_granted": (True, "each Contributor hereby grants to You")},
    "coral.txt": {
        **_RAIL,
        "field_of_use_restrictions": (True, "You additionally agree not to use the Model"),
        "governing_law_code": ("DK", "governed by the laws of the Kingdom of Denmark"),
    },
    "parkiet.txt": {
        **_NO,
        "rights_granted": (True, "You are free to use, copy, modify"),
        "commercial_use": ("allowed", None),
        "attribution": (True, "You must give appropriate credit"),
        "acceptable_use_policy": (False, None),
        "outputs_train_other_models": ("allowed", None),
        "field_of_use_restrictions": (True, "Any use in biometric surveillance"),
        "governing_law_code": (None, None),
    },
    "pager.txt": {**_CC_BY_NC, "rights_granted": (True, "are licensed")},
    "echovideo.txt": {**_CC_BY_NC, "rights_granted": (True, "are licensed under CC BY NC 4.0")},
}

# First read (commit a5db2ff, before any change prompted by these texts): 86/96. The misses then: parkiet's
# restriction list under lettered sub-headings; coral's Danish governing law; echovideo's one-line "licensed
# under CC BY NC 4.0" (no grant found, 5 facts unknown); pager's CC credit duty not imported. Fixed afterwards
# by structure (sub-headings continue a list, more jurisdictions, grants by licence identifier import that
# licence's restrictions), so these texts are no longer held out for those rules. Still missed:
FIRST_READ = (86, 96)
HELD_OUT_MISSES: dict[str, dict[str, Any]] = {
    # restrictions on impersonation and on inferring identity are no known category, and the AI Pubs
    # Attachment A items match none either (its RAIL siblings are caught by their "use-based restrictions")
    "coral.txt": {"field_of_use_restrictions": False},
    # "the non-commercial / research-only terms of the training datasets" is read as a research-only grant
    "pager.txt": {"research_only": True},
}
