"""Organization policy: the intended use and rules (YAML), and the verdict of a report against them.

from weighbridge import inspect
from weighbridge.policy import evaluate, load_policy
verdict = evaluate(load_policy("examples/policies/eu-saas-startup.yaml"), inspect("path/to/model"))
verdict.verdict            # Outcome.PASS | WARN | FAIL
verdict.to_dict()          # the report's ``policy`` section, every reason with its rule and evidence
"""

from __future__ import annotations

from .evaluate import evaluate
from .load import load_policy, parse_policy

__all__ = ["evaluate", "load_policy", "parse_policy"]
