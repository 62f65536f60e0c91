"""The terms of known licence families, for when only an identifier is known (a card tag, a GGUF key).

These are facts derived from reading each licence, encoded in our own words. For every family in the
test corpus a test checks that its profile equals what the clause detectors extract from the real text.
Profiles marked ``notes`` were taken from the research notes without a corpus text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.license import CommercialUse, LicenseTerms, OutputTraining

Profile = Callable[[], LicenseTerms]


def _terms(**values: Any) -> LicenseTerms:
    """A profile is the reading of a licence that grants rights: what it leaves open is allowed, unless the
    profile says otherwise (the text itself, when read, may still say "unknown")."""
    values.setdefault("rights_granted", True)
    values.setdefault("commercial_use", CommercialUse.ALLOWED)
    values.setdefault("outputs_train_other_models", OutputTraining.ALLOWED)
    return LicenseTerms(**values)


_C, _P = CommercialUse.CONDITIONAL, CommercialUse.PROHIBITED
_BAN = OutputTraining.PROHIBITED


def _llama(version: str) -> Profile:
    def build() -> LicenseTerms:
        modern = version not in ("2", "3")
        return _terms(
            commercial_use=_C,
            user_cap=700_000_000,
            attribution=version != "2",
            attribution_text=None
            if version == "2"
            else ("Built with Meta Llama 3" if version == "3" else "Built with Llama"),
            derivative_naming=None if version == "2" else ("Llama 3" if version == "3" else "Llama"),
            acceptable_use_policy=True,
            field_of_use_restrictions=True,
            outputs_train_other_models=OutputTraining.ALLOWED if modern else _BAN,
            notice_required=True,
            redistribution_allowed=True,
            export_control=True,
            governing_law="the State of California",
            governing_law_code="US-CA",
        )

    return build


def _tongyi() -> LicenseTerms:
    return _terms(
        commercial_use=_C,
        user_cap=100_000_000,
        outputs_train_other_models=_BAN,
        notice_required=True,
        redistribution_allowed=True,
        export_control=True,
        governing_law="China",
        governing_law_code="CN",
    )


def _tongyi_research() -> LicenseTerms:
    return _terms(
        commercial_use=_P,
        non_commercial=True,
        research_only=True,
        outputs_train_other_models=_BAN,
        notice_required=True,
        redistribution_allowed=True,
        export_control=True,
        governing_law="China",
        governing_law_code="CN",
    )


def _rail(hosting: str | None = "allowed") -> Profile:
    def build() -> LicenseTerms:
        return _terms(
            field_of_use_restrictions=True,
            restricted_uses=[
                "use_based_restrictions",
                "automated_decisions",
                "medical_advice",
                "law_enforcement",
            ],
            remote_restriction=True,
            output_ownership="licensee",
            derivatives_include_outputs=True,
            restrictions_flow_down=True,
            redistribution_allowed=True,
            notice_required=True,
            hosting=hosting,
            hosted_service_is_distribution=True,
        )

    return build


def _deepseek() -> LicenseTerms:
    terms = _rail()()
    terms.restricted_uses = ["use_based_restrictions", "military", "automated_decisions"]
    terms.governing_law, terms.governing_law_code = "PRC", "CN"
    return terms


def _permissive() -> LicenseTerms:
    return _terms(redistribution_allowed=True, notice_required=True)


def _yi() -> LicenseTerms:
    return _terms(
        commercial_use=_C,
        registration_required=True,
        attribution=True,
        field_of_use_restrictions=True,
        restricted_uses=["military"],
        revocable=True,
        terms_updatable=True,
        derivatives_include_outputs=True,
        notice_required=True,
        hosted_service_is_distribution=True,
        governing_law="the mainland of the People's Republic of China",
        governing_law_code="CN",
    )


def _tencent() -> LicenseTerms:
    return _terms(
        commercial_use=_C,
        user_cap=100_000_000,
        acceptable_use_policy=True,
        outputs_train_other_models=_BAN,
        geographic_restrictions=["EU", "UK", "KR"],
        field_of_use_restrictions=True,
        restricted_uses=[
            "use_based_restrictions",
            "law_enforcement",
            "medical_advice",
            "critical_infrastructure",
            "automated_decisions",
            "military",
            "professional_practice",
        ],
        output_ownership="licensee",
        derivatives_include_outputs=True,
        restrictions_flow_down=True,
        redistribution_allowed=True,
        notice_required=True,
        export_control=True,
        terms_updatable=True,
        governing_law="the Hong Kong Special Administrative Region of the People’s Republic of China",
        governing_law_code="HK",
    )


def _stability_nc() -> LicenseTerms:
    return _terms(
        commercial_use=_P,
        non_commercial=True,
        acceptable_use_policy=True,
        acceptable_use_policy_url="https://stability.ai/use-policy",
        field_of_use_restrictions=True,
        hosting="prohibited",
        revocable=True,
        terms_updatable=True,
        derivatives_include_outputs=True,
        redistribution_allowed=True,
        notice_required=True,
    )


def _kimi() -> LicenseTerms:
    return _terms(
        commercial_use=_C,
        user_cap=100_000_000,
        revenue_cap_usd=20_000_000,
        revenue_period="monthly",
        attribution=True,
        attribution_text="Kimi K2",
        redistribution_allowed=True,
        notice_required=True,
    )


def _minimax_m2() -> LicenseTerms:
    return _terms(
        commercial_use=_C,
        user_cap=100_000_000,
        revenue_cap_usd=30_000_000,
        revenue_period="annual",
        attribution=True,
        attribution_text="MiniMax M2",
        redistribution_allowed=True,
        notice_required=True,
    )


def _gemma() -> LicenseTerms:
    """Gemma Terms of Use (research notes §1.2, 2025-03-24 text; not in the corpus)."""
    return _terms(
        acceptable_use_policy=True,
        acceptable_use_policy_url="https://ai.google.dev/gemma/prohibited_use_policy",
        field_of_use_restrictions=True,
        restricted_uses=["use_based_restrictions"],
        remote_restriction=True,
        output_ownership="licensee",
        derivatives_include_outputs=True,
        restrictions_flow_down=True,
        redistribution_allowed=True,
        notice_required=True,
        hosted_service_is_distribution=True,
        governing_law="the State of California",
        governing_law_code="US-CA",
    )


def _cc(non_commercial: bool) -> Profile:
    def build() -> LicenseTerms:
        # attribution: CC BY requires crediting the creator when sharing (a naming duty, as for Yi)
        return _terms(
            commercial_use=_P if non_commercial else CommercialUse.ALLOWED,
            non_commercial=non_commercial,
            attribution=True,
            redistribution_allowed=True,
            notice_required=True,
        )

    return build


# Families added with issue 14 (texts and labels in tests/license/fixtures/third_party and third_party_labels.py).
_RESEARCH_NC = {"commercial_use": _P, "non_commercial": True, "research_only": True}


def _zhipu(**values: Any) -> Profile:
    """The THUDM/Zhipu template: military and unlawful uses barred, PRC law (CogVideoX, ChatGLM3, CodeGeeX)."""

    def build() -> LicenseTerms:
        return _terms(
            field_of_use_restrictions=True,
            restricted_uses=["military"],
            revocable=True,
            notice_required=True,
            governing_law="People’s Republic of China",
            governing_law_code="CN",
            **values,
        )

    return build


def _flux_dev() -> LicenseTerms:
    return _terms(
        commercial_use=_P,
        non_commercial=True,
        outputs_train_other_models=_BAN,
        field_of_use_restrictions=True,
        restricted_uses=["military", "surveillance"],
        revocable=True,
        output_ownership="licensee",
        redistribution_allowed=True,
        notice_required=True,
        export_control=True,
        governing_law="the State of Delaware",
        governing_law_code="US-DE",
    )


def _stability_community(law: bool) -> Profile:
    def build() -> LicenseTerms:
        return _terms(
            commercial_use=_P,
            non_commercial=True,
            acceptable_use_policy=True,
            acceptable_use_policy_url="https://stability.ai/use-policy",
            field_of_use_restrictions=True,
            revocable=True,
            derivatives_include_outputs=True,
            redistribution_allowed=True,
            notice_required=True,
            **(
                {
                    "governing_law": "the United States and the State of California",
                    "governing_law_code": "US-CA",
                }
                if law
                else {}
            ),
        )

    return build


def _stability_research() -> LicenseTerms:
    return _terms(
        **_RESEARCH_NC,
        outputs_train_other_models=OutputTraining.CONDITIONAL,
        field_of_use_restrictions=True,
        restricted_uses=["military", "nuclear", "surveillance"],
        revocable=True,
        redistribution_allowed=True,
        notice_required=True,
        export_control=True,
        governing_law="the State of California",
        governing_law_code="US-CA",
    )


def _minimax_model() -> LicenseTerms:
    return _terms(
        acceptable_use_policy=True,
        field_of_use_restrictions=True,
        restricted_uses=["military", "automated_decisions"],
        redistribution_allowed=True,
        notice_required=True,
        governing_law="Singapore",
        governing_law_code="SG",
    )


def _databricks() -> LicenseTerms:
    return _terms(
        commercial_use=_C,
        user_cap=700_000_000,
        acceptable_use_policy=True,
        acceptable_use_policy_url="https://www.databricks.com/legal/acceptable-use-policy-open-model",
        outputs_train_other_models=_BAN,
        field_of_use_restrictions=True,
        remote_restriction=True,
        output_ownership="licensee",
        redistribution_allowed=True,
        notice_required=True,
        governing_law="the State of California",
        governing_law_code="US-CA",
    )


def _kolors() -> LicenseTerms:
    return _terms(
        commercial_use=_C,
        user_cap=300_000_000,
        registration_required=True,
        acceptable_use_policy=True,
        outputs_train_other_models=_BAN,
        field_of_use_restrictions=True,
        restrictions_flow_down=True,
        derivatives_include_outputs=True,
        redistribution_allowed=True,
        notice_required=True,
        governing_law="China",
        governing_law_code="CN",
    )


def _apple_amlr() -> LicenseTerms:
    return _terms(
        commercial_use=_P,
        research_only=True,
        revocable=True,
        redistribution_allowed=True,
        notice_required=True,
        governing_law="the State of California",
        governing_law_code="US-CA",
    )


def _cpml() -> LicenseTerms:
    return _terms(
        commercial_use=_P,
        non_commercial=True,
        outputs_train_other_models=OutputTraining.CONDITIONAL,
        notice_required=True,
    )


def _funasr() -> LicenseTerms:
    return _terms(attribution=True, redistribution_allowed=True, terms_updatable=True)


def _livekit() -> LicenseTerms:
    return _terms(
        outputs_train_other_models=_BAN,
        redistribution_allowed=True,
        notice_required=True,
        governing_law="the State of California",
        governing_law_code="US-CA",
    )


PROFILES: dict[str, Profile] = {
    "flux-1-dev-non-commercial": _flux_dev,
    "stability-svd-nc-community": _stability_community(law=False),
    "stabilityai-nc-community": _stability_community(law=True),
    "stabilityai-research": _stability_research,
    "cogvideox": _zhipu(
        commercial_use=_C, registration_required=True, user_cap=1_000_000, output_ownership="licensee"
    ),
    "chatglm3": _zhipu(commercial_use=_C, registration_required=True),
    "codegeex": _zhipu(**_RESEARCH_NC),
    "aixcoder": _zhipu(**_RESEARCH_NC),
    "kolors": _kolors,
    "minimax-model": _minimax_model,
    "databricks-open-model": _databricks,
    "apple-amlr": _apple_amlr,
    "coqui-public-model-license": _cpml,
    "funasr-model": _funasr,
    "livekit-model": _livekit,
    **{f"llama{v}": _llama(v) for v in ("2", "3", "3.1", "3.2", "3.3", "4")},
    "tongyi-qianwen": _tongyi,
    "qwen": _tongyi,
    "tongyi-qianwen-research": _tongyi_research,
    "qwen-research": _tongyi_research,
    "deepseek": _deepseek,
    "mit": _permissive,
    "apache-2.0": _permissive,
    "bsd-2-clause": _permissive,
    "bsd-3-clause": _permissive,
    "openmdw-1.0": _permissive,
    "openmdw-1.1": _permissive,
    "gpl-2.0": _permissive,
    "gpl-3.0": _permissive,
    "lgpl-2.1": _permissive,
    "lgpl-3.0": _permissive,
    "agpl-3.0": _permissive,
    "mpl-2.0": _permissive,
    "yi-license": _yi,
    "tencent-hunyuan-community": _tencent,
    "creativeml-openrail-m": _rail(),
    "openrail++": _rail(),
    "bigscience-bloom-rail-1.0": _rail(),
    "bigscience-openrail-m": _rail(),
    "bigcode-openrail-m": _rail(hosting=None),
    "stabilityai-nc-research-community": _stability_nc,
    "modified-mit-kimi-k2": _kimi,
    "modified-mit-minimax-m2": _minimax_m2,
    "gemma": _gemma,
    "cc-by-4.0": _cc(False),
    "cc-by-sa-4.0": _cc(False),
    "cc-by-nc-4.0": _cc(True),
    "cc-by-nc-sa-4.0": _cc(True),
    "cc-by-nc-nd-4.0": _cc(True),
}


def profile_terms(license_id: str | None) -> LicenseTerms | None:
    """A fresh copy of the known terms of ``license_id``; None for families without a profile."""
    build = PROFILES.get(license_id or "")
    return build() if build is not None else None
