"""The `weighbridge audit score` command: label answers in a JSONL file, optionally against gold labels."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import err, fail, write_output

if TYPE_CHECKING:
    from ..audit.scoring.judge import Judge


def _judge(endpoint: str | None, model: str | None, api_key: str | None, judge_all: bool) -> Judge | None:
    if endpoint is None:
        if model is not None or judge_all:
            fail("--judge-model and --judge-all need --judge-endpoint")
        return None
    from ..audit.runtimes.openai import OpenAIRuntime
    from ..audit.scoring.judge import Judge

    return Judge(OpenAIRuntime(endpoint, model, api_key))


def register(audit_app: typer.Typer) -> None:
    """Add this module's commands to the audit group."""

    @audit_app.command("score")
    def score(
        file: Annotated[
            Path, typer.Argument(help="JSONL rows with 'prompt' (or 'question') and 'response'.")
        ],
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="Write the labelled rows here (default: standard output)."),
        ] = None,
        gold_field: Annotated[
            str | None,
            typer.Option(
                help="Field holding gold labels (COMPLETE/EVASIVE/DENIAL/"
                "ERROR…): print agreement metrics on stderr."
            ),
        ] = None,
        label_field: Annotated[
            str | None,
            typer.Option(
                help="Field the label is written to (default 'label', or "
                "'predicted_label' when --gold-field is 'label')."
            ),
        ] = None,
        judge_endpoint: Annotated[
            str | None,
            typer.Option(
                help="OpenAI-compatible endpoint of a judge model for "
                "the answers the patterns leave uncertain."
            ),
        ] = None,
        judge_model: Annotated[
            str | None, typer.Option(help="Judge model name (default: the only one served).")
        ] = None,
        judge_api_key: Annotated[
            str | None,
            typer.Option(envvar="WEIGHBRIDGE_JUDGE_API_KEY", help="API key for the judge endpoint."),
        ] = None,
        judge_all: Annotated[
            bool, typer.Option(help="Send every answer to the judge, not only uncertain ones.")
        ] = False,
    ) -> None:
        """Label each answer complete | evasive | denial | error with the layered scorer. Every row is written
        back unchanged plus LABEL, LABEL_layer, LABEL_reason, LABEL_certain, LABEL_evidence and official_line."""
        import json

        from ..audit.scoring.batch import compare, gold_label, read_rows, score_row
        from ..audit.scoring.metrics import format_agreement
        from ..core.audit import Label, ScoreLayer
        from ..core.findings import WeighbridgeError

        name = label_field or ("predicted_label" if gold_field == "label" else "label")
        fields = (
            name,
            f"{name}_layer",
            f"{name}_reason",
            f"{name}_certain",
            f"{name}_evidence",
            "official_line",
        )
        judge = _judge(judge_endpoint, judge_model, judge_api_key, judge_all)
        try:
            rows = list(read_rows(file))
        except WeighbridgeError as exc:
            fail(str(exc))
        if not rows:
            fail(f"{file}: no rows")
        golds: list[Label] = []
        for row in rows:
            taken = [f for f in fields if f in row.data]
            if taken:
                fail(
                    f"{file}:{row.line}: already has a {taken[0]!r} field; choose another name with --label-field"
                )
            if gold_field is not None:
                if gold_field not in row.data:
                    fail(f"{file}:{row.line}: no gold field {gold_field!r}")
                try:
                    golds.append(gold_label(row.data[gold_field], f"{file}:{row.line}"))
                except WeighbridgeError as exc:
                    fail(str(exc))

        out: list[str] = []
        predicted: list[Label] = []
        judged = fell_back = 0
        try:
            for row in rows:
                verdict = score_row(row, judge, judge_all)
                s = verdict.score
                judged += s.layer is ScoreLayer.JUDGE
                fell_back += judge is not None and "pattern label kept" in s.reason
                predicted.append(s.label)
                extra: dict[str, Any] = dict(
                    zip(
                        fields,
                        (
                            s.label.value,
                            s.layer.value,
                            s.reason,
                            verdict.certain,
                            s.evidence,
                            s.official_line,
                        ),
                        strict=True,
                    )
                )
                out.append(json.dumps({**row.data, **extra}, ensure_ascii=False))
        finally:
            if judge is not None:
                judge.runtime.close()
        write_output("\n".join(out) + "\n", output, "labelled rows")

        counts = {lab.value: sum(p is lab for p in predicted) for lab in Label}
        summary = ", ".join(f"{k} {v}" for k, v in counts.items())
        err.print(
            f"scored {len(rows)} rows: {summary}"
            + (f"; judge decided {judged}, fell back {fell_back}" if judge is not None else ""),
            markup=False,
            soft_wrap=True,
        )
        if gold_field is not None:
            cmp = compare(zip(golds, predicted, strict=True))
            if cmp.excluded:
                err.print(
                    f"{cmp.excluded} row(s) with a gold error label left out of the metrics", markup=False
                )
            if cmp.agreement.n:
                err.print(format_agreement(cmp.agreement), markup=False, soft_wrap=True)
