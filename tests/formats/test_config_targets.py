"""NeMo / Hydra configurations: `_target_` and NeMo's `target` judged; .nemo archives scanned whole."""

from __future__ import annotations

import pytest
from tests.corpus import shapes as S
from tests.corpus.pickles import CMD, reduce_pickle
from tests.formats.helpers_scan import rules, scan_bytes, worst

from weighbridge.core.findings import Severity


@pytest.mark.parametrize("gz", [False, True])
def test_benign_nemo_archive_is_clean(gz: bool) -> None:
    fmt, findings = scan_bytes(S.nemo_archive(gz=gz), "model.nemo")
    assert fmt in ("tar", "compressed")
    assert worst(findings) is None or worst(findings) < Severity.HIGH, findings


@pytest.mark.parametrize(
    ("target", "severity"),
    [
        ("os.system", Severity.CRITICAL),
        ("subprocess.Popen", Severity.CRITICAL),
        ("builtins.eval", Severity.CRITICAL),
        ("importlib.import_module", Severity.CRITICAL),
        ("evil_package.Model", Severity.HIGH),
        ("my_project.callbacks.Upload", Severity.HIGH),
    ],
)
def test_targets_are_judged(target: str, severity: Severity) -> None:
    config = S.NEMO_CONFIG.replace("nemo.collections.asr.modules.ConvASRDecoder", target)
    _, findings = scan_bytes(S.nemo_archive(config), "model.nemo")
    assert worst(findings) == severity
    hit = next(f for f in findings if f.rule in ("WB-CFG-001", "WB-CFG-002"))
    assert target in hit.detail and hit.location is not None and hit.location.line is not None


def test_quoted_flow_and_nemo_top_level_targets() -> None:
    for config in (
        "model:\n  encoder: {_target_: 'os.system', command: id}\nname: x\n",
        'model:\n  "_target_": "subprocess.run"\nname: x\n',
        S.NEMO_CONFIG.replace(
            "target: nemo.collections.asr.models.ctc_models.EncDecCTCModel", "target: posix.system"
        ),
    ):
        _, findings = scan_bytes(config.encode(), "model_config.yaml")
        assert worst(findings) == Severity.CRITICAL, config


def test_target_far_into_a_long_config_is_found() -> None:
    config = S.NEMO_CONFIG + "".join(f"key_{i}: {i}\n" for i in range(2000)) + "late:\n  _target_: os.popen\n"
    _, findings = scan_bytes(S.nemo_archive(config), "model.nemo")
    assert "WB-CFG-001" in rules(findings)


def test_malicious_checkpoint_inside_nemo_is_scanned() -> None:
    weights = S.zip_bytes({"archive/data.pkl": reduce_pickle("os", "system", CMD), "archive/version": b"3\n"})
    _, findings = scan_bytes(S.nemo_archive(weights=weights), "model.nemo")
    assert worst(findings) == Severity.CRITICAL


def test_markdown_and_templates_are_not_configs() -> None:
    for text in (
        b"# Model card\n\nThis model: does things.\nlicense: mit\n",
        b"User: {{ messages }}\nBot: {% if x %}\n",
    ):
        fmt, _ = scan_bytes(text, "README.md")
        assert fmt == "text"


LDM = """model:
  base_learning_rate: 1.0e-04
  target: ldm.models.diffusion.ddpm.LatentDiffusion
  params:
    linear_start: 0.00085
    target: 0.5
    unet_config:
      target: ldm.modules.diffusionmodules.openaimodel.UNetModel
    first_stage_config:
      target: ldm.models.autoencoder.AutoencoderKL
    cond_stage_config:
      target: ldm.modules.encoders.modules.FrozenCLIPEmbedder
"""


def test_latent_diffusion_configs() -> None:
    fmt, findings = scan_bytes(LDM.encode(), "v1-inference.yaml")
    assert fmt == "yaml-config" and not findings
    _, findings = scan_bytes(
        LDM.replace("ldm.models.autoencoder.AutoencoderKL", "os.system").encode(), "v1.yaml"
    )
    assert worst(findings) == Severity.CRITICAL
    _, findings = scan_bytes(
        LDM.replace("ldm.modules.encoders.modules.FrozenCLIPEmbedder", "evil_pkg.Encoder").encode(), "v1.yaml"
    )
    assert worst(findings) == Severity.HIGH
