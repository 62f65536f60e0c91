"""How open a model is: its Model Openness Framework class (Class III/II/I or unclassified) and whether it is
"open source AI" by the OSI Open Source AI Definition or only "open weights", saying what is missing.

``classify(snapshot, weights_license_id=..., weights_license_osi=...) -> Openness``; ``Openness.to_dict()``
is the ``openness`` section of the report. The weights licence is passed in as plain values (identified by
``weighbridge.license``); nothing here reads licence texts.
"""

from __future__ import annotations

from .classify import classify

__all__ = ["classify"]
