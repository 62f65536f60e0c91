"""Which licence governs an openness component, and whether it is open in the MOF's sense.

Resolution follows the Model Openness Tool: a licence given for the component itself, else the one given for
its content type (``code``, ``data``, ``document``), else the distribution licence — here the weights licence
the caller passes in (identified by ``weighbridge.license``; this package does not read licence texts).
Open means OSI-approved, or one of the open data licences and OpenMDW that the MOF accepts besides. An open
data or document licence on code is still counted, but reported as not type-appropriate.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core.provenance import ComponentLicense
from .catalogue import ComponentSpec

LicenseFlag = tuple[str | None, bool | None]  # (licence id, OSI-approved)

# Open data and document licences the MOF accepts (LicenseHandler OPEN_DATA_LICENSES) and OpenMDW.
OPEN_DATA_LICENSES = frozenset(
    {
        "cc-by-4.0",
        "cc-by-3.0",
        "cc-by-2.5",
        "cc-by-2.0",
        "cc-by-sa-4.0",
        "cc-by-sa-3.0",
        "cc0-1.0",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "cdla-sharing-1.0",
        "odc-by",
        "odc-by-1.0",
        "odbl",
        "odbl-1.0",
        "pddl",
        "pddl-1.0",
        "ogl-uk-3.0",
        "ogl-canada-2.0",
    }
)
OPEN_MODEL_LICENSES = frozenset({"openmdw-1.0", "openmdw-1.1"})


def is_open(license_id: str | None, osi: bool | None) -> bool | None:
    """True if open, False if known not to be, None when nothing is known."""
    if osi is True:
        return True
    key = (license_id or "").strip().lower()
    if key in OPEN_DATA_LICENSES or key in OPEN_MODEL_LICENSES:
        return True
    if osi is False:
        return False
    return None


def resolve(
    spec: ComponentSpec, weights: LicenseFlag, other: Mapping[str | int, LicenseFlag]
) -> ComponentLicense:
    for key, basis in ((spec.id, "component"), (spec.content_type, spec.content_type)):
        if key in other:
            return _license(other[key], basis, spec)
    if weights[0] is not None or weights[1] is not None:
        return _license(weights, "distribution", spec)
    return ComponentLicense(id=None, open=None, basis="none")


def _license(flag: LicenseFlag, basis: str, spec: ComponentSpec) -> ComponentLicense:
    license_id, osi = flag
    open_ = is_open(license_id, osi)
    data_only = (license_id or "").strip().lower() in OPEN_DATA_LICENSES and osi is not True
    return ComponentLicense(
        id=license_id,
        open=open_,
        basis=basis,
        type_appropriate=not (spec.content_type == "code" and data_only),
    )
