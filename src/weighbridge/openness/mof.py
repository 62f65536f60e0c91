"""Model Openness Framework class: the highest class whose required components (cumulatively) are all in
the folder under an open licence. A second class is computed as if every component the card only points to
were there — what a reviewer could reach by following the references."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..core.provenance import Citation, MOFResult, OpennessComponent
from . import catalogue
from .detect import Found
from .licensing import LicenseFlag, resolve


def build_components(
    found: Mapping[int, Found], weights: LicenseFlag, other: Mapping[str | int, LicenseFlag]
) -> tuple[OpennessComponent, ...]:
    out = []
    for spec in catalogue.COMPONENTS:
        item = found[spec.id]
        license_ = resolve(spec, weights, other)
        note = item.note
        if not license_.type_appropriate:
            note = "; ".join(n for n in (note, f"{license_.id} is a data licence, not a code licence") if n)
        out.append(
            OpennessComponent(
                id=spec.id,
                name=spec.name,
                mof_class=spec.mof_class,
                content_type=spec.content_type,
                required=spec.required,
                status=item.status,
                citations=tuple(item.citations),
                license=license_,
                note=note,
            )
        )
    return tuple(out)


def evaluate_mof(components: tuple[OpennessComponent, ...]) -> MOFResult:
    by_id = {c.id: c for c in components}
    verified = _reached(by_id, lambda c: c.satisfied)
    with_references = _reached(by_id, lambda c: c.satisfied_if_references_hold)
    progress = {}
    for level in (3, 2, 1):
        required = _required(level)
        done = sum(1 for c in required if _ok(by_id, c.id, lambda x: x.satisfied))
        progress[level] = done / len(required)
    target = {None: 3, 3: 2, 2: 1}.get(verified)
    missing: tuple[str, ...] = ()
    if target is not None:
        missing = tuple(
            _reason(by_id[c.id]) for c in _required(target) if not _ok(by_id, c.id, lambda x: x.satisfied)
        )
    return MOFResult(
        mof_class=verified,
        class_if_references_hold=with_references,
        progress=progress,
        components=components,
        missing=missing,
    )


def _required(level: int) -> list[catalogue.ComponentSpec]:
    return [c for c in catalogue.COMPONENTS if c.required and c.mof_class == level]


def _ok(by_id: Mapping[int, OpennessComponent], cid: int, test: Callable[[OpennessComponent], bool]) -> bool:
    substitute = catalogue.SUBSTITUTES.get(cid)
    return test(by_id[cid]) or (substitute is not None and test(by_id[substitute]))


def _reached(by_id: Mapping[int, OpennessComponent], test: Callable[[OpennessComponent], bool]) -> int | None:
    reached = None
    for level in (3, 2, 1):
        if not all(_ok(by_id, c.id, test) for c in _required(level)):
            break
        reached = level
    return reached


def _reason(component: OpennessComponent) -> str:
    where = ", ".join(_cite(c) for c in component.citations[:2])
    lic = component.license
    if component.status == "missing":
        return f"{component.name}: not found in the folder or the model card"
    if component.status == "referenced":
        return f"{component.name}: only referenced ({where}), not in the folder"
    if lic.open is False:
        return f"{component.name}: present, but its licence {lic.id} is not open"
    return f"{component.name}: present, but its licence is not identified"


def _cite(cite: Citation) -> str:
    where = cite.file if cite.file is not None else "target"
    if cite.line is not None:
        where = f"{where}:{cite.line}"
    return f"{where} {cite.key}" if cite.key else where
