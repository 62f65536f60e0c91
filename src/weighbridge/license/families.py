"""Known licence families and the three vocabularies that name them.

A licence is named by a Hugging Face tag (``llama3.1``, ``gemma``, ``other`` + ``license_name``), an SPDX id
(``Apache-2.0``, ``OpenMDW-1.0``), a ScanCode reference (``LicenseRef-scancode-llama-3.1-license-2024``) or by
its title. ``normalize_identifier`` maps all of them to one ``LicenseIdentity``; ``match_title`` recognises a
title or a free-text name. Titles are matched with short patterns of our own, never with licence text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.license import LicenseDocKind, LicenseIdentity

LLAMA_VERSIONS = ("2", "3", "3.1", "3.2", "3.3", "4")
_PREFIXES = ("licenseref-scancode-", "licenseref-", "license:")


@dataclass(frozen=True, slots=True)
class Family:
    id: str
    name: str
    family: str
    version: str | None = None
    osi: bool = False
    spdx: str | None = None
    hf_tag: str = "other"
    hf_license_name: str | None = None
    kind: LicenseDocKind = LicenseDocKind.LICENSE
    generic: bool = False
    aliases: tuple[str, ...] = ()
    title: str | None = None  # a regex matched against the title lines or a free-text name

    def identity(self, name: str | None = None) -> LicenseIdentity:
        return LicenseIdentity(
            id=self.id,
            name=name or self.name,
            version=self.version,
            family=self.family,
            osi_approved=self.osi,
            spdx=self.spdx,
            hf_tag=self.hf_tag,
            hf_license_name=self.hf_license_name,
            kind=self.kind,
            generic=self.generic,
        )


def _llama(version: str) -> list[Family]:
    compact = version.replace(".", r"\.")
    meta = "Meta " if version == "3" else ""
    scancode = {
        "2": "LicenseRef-scancode-llama-2-license-2023",
        "3.1": "LicenseRef-scancode-llama-3.1-license-2024",
    }.get(version)
    dashed = version.replace(".", "-")
    return [
        Family(
            f"llama{version}",
            f"{meta}Llama {version} Community License Agreement",
            "llama",
            version,
            spdx=scancode,
            hf_tag=f"llama{version}",
            aliases=(
                f"llama{version}",
                f"llama-{version}",
                f"llama {version}",
                f"llama{dashed}",
                f"llama-{version}-license",
                f"llama-{dashed}-community",
                f"llama{version}-community",
            ),
            title=rf"\b(?:meta\s+)?llama\s*{compact}\s+(?:community\s+)?licen[cs]e",
        ),
        Family(
            f"llama{version}-aup",
            f"{meta}Llama {version} Acceptable Use Policy",
            "llama",
            version,
            kind=LicenseDocKind.POLICY,
            hf_tag="other",
            title=rf"\b(?:meta\s+)?llama\s*{compact}\s+acceptable\s+use\s+policy",
        ),
    ]


def _generic(
    fid: str,
    name: str,
    family: str,
    spdx: str,
    title: str | None,
    *aliases: str,
    osi: bool = True,
    version: str | None = None,
) -> Family:
    return Family(
        fid,
        name,
        family,
        version,
        osi=osi,
        spdx=spdx,
        hf_tag=fid,
        generic=True,
        aliases=(fid, spdx.lower(), *aliases),
        title=title,
    )


FAMILIES: tuple[Family, ...] = (
    *[f for v in LLAMA_VERSIONS for f in _llama(v)],
    Family(
        "tongyi-qianwen-research",
        "Tongyi Qianwen Research License Agreement",
        "qwen",
        hf_license_name="tongyi-qianwen-research",
        aliases=("tongyi-qianwen-research",),
        title=r"tongyi\s+qianwen\s+research\s+licen[cs]e",
    ),
    Family(
        "tongyi-qianwen",
        "Tongyi Qianwen License Agreement",
        "qwen",
        hf_license_name="tongyi-qianwen",
        aliases=("tongyi-qianwen", "tongyi qianwen"),
        title=r"tongyi\s+qianwen\s+licen[cs]e",
    ),
    Family(
        "qwen-research",
        "Qwen Research License Agreement",
        "qwen",
        hf_license_name="qwen-research",
        aliases=("qwen-research",),
        title=r"\bqwen\s+research\s+licen[cs]e",
    ),
    Family(
        "qwen",
        "Qwen License Agreement",
        "qwen",
        hf_license_name="qwen",
        aliases=("qwen", "qwen-license"),
        title=r"\bqwen\s+licen[cs]e\s+agreement",
    ),
    Family(
        "deepseek",
        "DeepSeek License Agreement v1.0",
        "deepseek",
        "1.0",
        hf_license_name="deepseek",
        aliases=("deepseek", "deepseek-license", "deepseek-model-license", "deepseek-license-1.0"),
        title=r"deepseek\s+licen[cs]e\s+agreement",
    ),
    Family(
        "yi-license",
        "Yi Series Models Community License Agreement v2.1",
        "yi",
        "2.1",
        hf_license_name="yi-license",
        aliases=("yi-license", "yi-community-license"),
        title=r"yi\s+series\s+models\s+community\s+licen[cs]e",
    ),
    Family(
        "tencent-hunyuan-community",
        "Tencent Hunyuan Community License Agreement",
        "tencent-hunyuan",
        hf_license_name="tencent-hunyuan-community",
        aliases=("tencent-hunyuan-community", "tencent-hunyuan"),
        title=r"tencent\s+hunyuan\s+community\s+licen[cs]e",
    ),
    Family(
        "openrail++",
        "CreativeML Open RAIL++-M",
        "rail",
        hf_tag="openrail++",
        aliases=("openrail++", "openrail++-m", "creativeml-openrail++-m"),
        title=r"open\s*rail\+\+-?m",
    ),
    Family(
        "creativeml-openrail-m",
        "CreativeML Open RAIL-M",
        "rail",
        hf_tag="creativeml-openrail-m",
        aliases=("creativeml-openrail-m",),
        title=r"creativeml\s+open\s*rail-m",
    ),
    Family(
        "bigscience-bloom-rail-1.0",
        "BigScience RAIL License v1.0",
        "rail",
        "1.0",
        spdx="LicenseRef-scancode-bigscience-rail-1.0",
        hf_tag="bigscience-bloom-rail-1.0",
        aliases=("bigscience-bloom-rail-1.0", "bigscience-rail-1.0", "bloom-rail-1.0"),
        title=r"bigscience\s+rail\s+licen[cs]e\s+v?1\.0",
    ),
    Family(
        "bigscience-openrail-m",
        "BigScience Open RAIL-M License",
        "rail",
        spdx="LicenseRef-scancode-bigscience-open-rail-m",
        hf_tag="bigscience-openrail-m",
        aliases=("bigscience-openrail-m", "bigscience-open-rail-m"),
        title=r"bigscience\s+open\s*rail-m",
    ),
    Family(
        "bigcode-openrail-m",
        "BigCode Open RAIL-M v1 License Agreement",
        "rail",
        "1",
        spdx="LicenseRef-scancode-bigcode-open-rail-m-v1",
        hf_tag="bigcode-openrail-m",
        aliases=("bigcode-openrail-m", "bigcode-open-rail-m-v1", "bigcode-open-rail-m"),
        title=r"bigcode\s+open\s*rail-m",
    ),
    Family("openrail", "Open RAIL License", "rail", hf_tag="openrail", aliases=("openrail",)),
    Family(
        "stabilityai-nc-research-community",
        "Stability AI Non-Commercial Research Community License Agreement",
        "stability",
        hf_license_name="sai-nc-community",
        aliases=("sai-nc-community",),
        title=r"stability\s+ai\s+non-commercial\s+research\s+community\s+licen[cs]e",
    ),
    Family(
        "stabilityai-ai-community",
        "Stability AI Community License Agreement",
        "stability",
        hf_license_name="stabilityai-ai-community",
        aliases=("stabilityai-ai-community", "stability-ai-community", "stability-community-license"),
        title=r"stability\s+ai\s+community\s+licen[cs]e",
    ),
    Family(
        "gemma",
        "Gemma Terms of Use",
        "gemma",
        hf_tag="gemma",
        aliases=("gemma", "gemma-terms-of-use"),
        title=r"\bgemma\s+terms\s+of\s+use",
    ),
    Family(
        "nvidia-nemotron-open-model-license",
        "NVIDIA Nemotron Open Model License Agreement",
        "nvidia",
        hf_license_name="nvidia-nemotron-open-model-license",
        aliases=("nvidia-nemotron-open-model-license",),
        title=r"nvidia\s+nemotron\s+open\s+model\s+licen[cs]e",
    ),
    Family(
        "nvidia-open-model-license",
        "NVIDIA Open Model License Agreement",
        "nvidia",
        spdx="LicenseRef-scancode-nvidia-open-model-2025",
        hf_license_name="nvidia-open-model-license",
        aliases=("nvidia-open-model-license", "nvidia-open-model-2025", "nvidia-open-model"),
        title=r"nvidia\s+open\s+model\s+licen[cs]e",
    ),
    Family(
        "falcon-llm-license",
        "TII Falcon License",
        "falcon",
        hf_license_name="falcon-llm-license",
        aliases=("falcon-llm-license", "tii-falcon-license", "falcon-180b-tii-license", "falcon-license"),
        title=r"falcon[\w\s.-]{0,30}tii\s+licen[cs]e|tii\s+falcon\s+(?:llm\s+)?licen[cs]e",
    ),
    Family(
        "mrl",
        "Mistral AI Research License",
        "mistral",
        "0.1",
        hf_license_name="mrl",
        aliases=("mrl", "mrl-0.1", "mistral-research-license"),
        title=r"mistral\s+ai\s+research\s+licen[cs]e",
    ),
    Family(
        "mnpl",
        "Mistral AI Non-Production License",
        "mistral",
        "0.1",
        hf_license_name="mnpl",
        aliases=("mnpl", "mnpl-0.1", "mistral-non-production-license"),
        title=r"mistral\s+ai\s+non-production\s+licen[cs]e",
    ),
    # Families added with issue 14; texts in tests/license/fixtures/third_party (sources in its README).
    Family(
        "flux-1-dev-non-commercial",
        "FLUX.1 [dev] Non-Commercial License",
        "flux",
        hf_license_name="flux-1-dev-non-commercial-license",
        aliases=("flux-1-dev-non-commercial-license", "flux-1-dev-non-commercial", "flux1-dev"),
        title=r"flux\.1\s*\[dev\]\s+non-commercial\s+licen[cs]e",
    ),
    Family(
        "stability-svd-nc-community",
        "Stable Video Diffusion Non-Commercial Community License Agreement",
        "stability",
        aliases=("stable-video-diffusion-community", "stable-video-diffusion-nc-community"),
        title=r"stable\s+video\s+diffusion\s+non-commercial\s+community\s+licen[cs]e",
    ),
    Family(
        "stabilityai-nc-community",
        "Stability AI Non-Commercial Community License Agreement",
        "stability",
        aliases=("stabilityai-nc-community", "stability-ai-nc-community"),
        title=r"stability\s+ai\s+non-commercial\s+community\s+licen[cs]e",
    ),
    Family(
        "stabilityai-research",
        "Stability AI Research License Agreement (SDXL 0.9, DeepFloyd IF)",
        "stability",
        aliases=("sdxl-0.9-research", "deepfloyd-if-license", "deepfloyd-if"),
        title=r"sdxl\s+0\.9\s+research\s+licen[cs]e|deepfloyd\s+if\s+licen[cs]e",
    ),
    Family(
        "cogvideox",
        "The CogVideoX License",
        "zhipu",
        hf_license_name="cogvideox-license",
        aliases=("cogvideox-license", "cogvideox"),
        title=r"\bcogvideox\s+licen[cs]e",
    ),
    Family(
        "chatglm3",
        "The ChatGLM3-6B License",
        "zhipu",
        hf_license_name="chatglm3-6b-license",
        aliases=("chatglm3-6b-license", "chatglm3"),
        title=r"\bchatglm3(?:-6b)?\s+licen[cs]e",
    ),
    Family(
        "codegeex",
        "The CodeGeeX License",
        "zhipu",
        hf_license_name="codegeex-license",
        aliases=("codegeex-license", "codegeex"),
        title=r"\bcodegeex\s+licen[cs]e",
    ),
    Family(
        "aixcoder",
        "The aiXcoder Model License",
        "aixcoder",
        hf_license_name="aixcoder-model-license",
        aliases=("aixcoder-model-license", "aixcoder"),
        title=r"\baixcoder\s+model\s+licen[cs]e",
    ),
    Family(
        "kolors", "Kolors Model License Agreement", "kolors", hf_license_name="kolors", aliases=("kolors",)
    ),
    Family(
        "minimax-model",
        "MiniMax Model License",
        "minimax",
        hf_license_name="minimax-model-license",
        aliases=("minimax-model-license", "minimax-model"),
        title=r"\bminimax\s+model\s+licen[cs]e",
    ),
    Family(
        "databricks-open-model",
        "Databricks Open Model License",
        "databricks",
        hf_license_name="databricks-open-model-license",
        aliases=("databricks-open-model-license", "databricks-open-model", "dbrx"),
        title=r"databricks\s+open\s+model\s+licen[cs]e",
    ),
    Family(
        "apple-amlr",
        "Apple Machine Learning Research Model License Agreement",
        "apple",
        hf_license_name="apple-amlr",
        aliases=("apple-amlr", "apple-ml-research-model"),
        title=r"apple\s+machine\s+learning\s+research\s+model",
    ),
    Family(
        "coqui-public-model-license",
        "Coqui Public Model License 1.0.0",
        "coqui",
        "1.0.0",
        hf_license_name="coqui-public-model-license",
        aliases=("coqui-public-model-license", "cpml", "coqui-cpml"),
        title=r"coqui\s+public\s+model\s+licen[cs]e",
    ),
    Family(
        "funasr-model",
        "FunASR Model Open Source License Agreement",
        "funasr",
        "1.1",
        hf_license_name="funasr-model-license",
        aliases=("funasr-model-license", "funasr-model"),
        title=r"funasr\s+model\s+open\s+source\s+licen[cs]e",
    ),
    Family(
        "livekit-model",
        "LiveKit Model License Agreement",
        "livekit",
        hf_license_name="livekit-model-license",
        aliases=("livekit-model-license", "livekit-model"),
        title=r"livekit\s+model\s+licen[cs]e",
    ),
    Family(
        "grok2-community",
        "Grok 2 Community License Agreement",
        "grok",
        "2",
        hf_tag="grok2-community",
        aliases=("grok2-community",),
        title=r"grok\s*2\s+community\s+licen[cs]e",
    ),
    Family(
        "openmdw-1.1",
        "OpenMDW License Agreement v1.1",
        "openmdw",
        "1.1",
        hf_tag="openmdw-1.1",
        aliases=("openmdw-1.1",),
        title=r"openmdw\s+licen[cs]e\s+agreement,?\s+(?:version\s+|v)1\.1",
    ),
    Family(
        "openmdw-1.0",
        "OpenMDW License Agreement v1.0",
        "openmdw",
        "1.0",
        spdx="OpenMDW-1.0",
        hf_tag="openmdw-1.0",
        aliases=("openmdw-1.0", "openmdw"),
        title=r"openmdw\s+licen[cs]e\s+agreement",
    ),
    Family(
        "gpt-oss-usage-policy",
        "OpenAI gpt-oss Usage Policy",
        "gpt-oss",
        kind=LicenseDocKind.POLICY,
        title=r"by\s+using\s+openai\s+gpt-oss",
    ),
    _generic(
        "apache-2.0",
        "Apache License 2.0",
        "apache",
        "Apache-2.0",
        r"apache\s+licen[cs]e,?\s+(?:version\s+)?2\.0",
        "apache 2.0",
        "apache2",
        "apache-2",
        "apache license 2.0",
        "apache license, version 2.0",
        "apache license version 2.0",
        version="2.0",
    ),
    _generic(
        "mit",
        "MIT License",
        "mit",
        "MIT",
        r"^(?:the\s+|modified\s+)?mit\s+licen[cs]e",
        "mit license",
        "expat",
    ),
    _generic(
        "bsd-3-clause", "BSD 3-Clause License", "bsd", "BSD-3-Clause", r"bsd\s+3-clause", "bsd-3", "bsd"
    ),
    _generic("bsd-2-clause", "BSD 2-Clause License", "bsd", "BSD-2-Clause", r"bsd\s+2-clause", "bsd-2"),
    _generic(
        "agpl-3.0",
        "GNU Affero General Public License v3.0",
        "gpl",
        "AGPL-3.0-only",
        r"gnu\s+affero\s+general\s+public\s+licen[cs]e",
        "agpl-3.0",
        "agpl-3.0-or-later",
        version="3.0",
    ),
    _generic(
        "lgpl-3.0",
        "GNU Lesser General Public License v3.0",
        "gpl",
        "LGPL-3.0-only",
        r"gnu\s+lesser\s+general\s+public\s+licen[cs]e\s+version\s+3",
        "lgpl-3.0",
        "lgpl-3.0-or-later",
        version="3.0",
    ),
    _generic(
        "lgpl-2.1",
        "GNU Lesser General Public License v2.1",
        "gpl",
        "LGPL-2.1-only",
        r"gnu\s+lesser\s+general\s+public\s+licen[cs]e\s+version\s+2\.1",
        "lgpl-2.1",
        "lgpl-2.1-or-later",
        version="2.1",
    ),
    _generic(
        "gpl-3.0",
        "GNU General Public License v3.0",
        "gpl",
        "GPL-3.0-only",
        r"gnu\s+general\s+public\s+licen[cs]e\s+version\s+3",
        "gpl-3.0",
        "gpl-3.0-or-later",
        "gplv3",
        "gpl-3",
        version="3.0",
    ),
    _generic(
        "gpl-2.0",
        "GNU General Public License v2.0",
        "gpl",
        "GPL-2.0-only",
        r"gnu\s+general\s+public\s+licen[cs]e\s+version\s+2",
        "gpl-2.0",
        "gpl-2.0-or-later",
        "gplv2",
        version="2.0",
    ),
    _generic(
        "mpl-2.0",
        "Mozilla Public License 2.0",
        "mpl",
        "MPL-2.0",
        r"mozilla\s+public\s+licen[cs]e,?\s+v(?:ersion)?\s*2\.0",
        version="2.0",
    ),
    _generic(
        "unlicense", "The Unlicense", "unlicense", "Unlicense", r"this\s+is\s+free\s+and\s+unencumbered"
    ),
    _generic(
        "cc-by-nc-nd-4.0",
        "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0",
        "cc",
        "CC-BY-NC-ND-4.0",
        r"(?:creative\s+commons\s+)?attribution-noncommercial-noderivatives\s+4\.0",
        osi=False,
        version="4.0",
    ),
    _generic(
        "cc-by-nc-sa-4.0",
        "Creative Commons Attribution-NonCommercial-ShareAlike 4.0",
        "cc",
        "CC-BY-NC-SA-4.0",
        r"(?:creative\s+commons\s+)?attribution-noncommercial-sharealike\s+4\.0",
        osi=False,
        version="4.0",
    ),
    _generic(
        "cc-by-nc-4.0",
        "Creative Commons Attribution-NonCommercial 4.0",
        "cc",
        "CC-BY-NC-4.0",
        r"(?:creative\s+commons\s+)?attribution-noncommercial\s+4\.0",
        osi=False,
        version="4.0",
    ),
    _generic(
        "cc-by-sa-4.0",
        "Creative Commons Attribution-ShareAlike 4.0",
        "cc",
        "CC-BY-SA-4.0",
        r"(?:creative\s+commons\s+)?attribution-sharealike\s+4\.0",
        osi=False,
        version="4.0",
    ),
    _generic(
        "cc-by-4.0",
        "Creative Commons Attribution 4.0",
        "cc",
        "CC-BY-4.0",
        r"(?:creative\s+commons\s+)?attribution\s+4\.0",
        osi=False,
        version="4.0",
    ),
    _generic(
        "cc0-1.0",
        "Creative Commons Zero v1.0 Universal",
        "cc",
        "CC0-1.0",
        r"\bcc0\s+1\.0",
        osi=False,
        version="1.0",
    ),
)


def _key(value: str) -> str:
    key = " ".join(value.strip().strip("\"'`").lower().replace("_", "-").split())
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key


_BY_ID = {f.id: f for f in FAMILIES}
_ALIASES = {_alias: f for f in FAMILIES for _alias in (f.id, *f.aliases)}
_ALIASES.update({_key(f.spdx): f for f in FAMILIES if f.spdx is not None and _key(f.spdx) not in _ALIASES})
_TITLES = [(re.compile(f.title, re.IGNORECASE), f) for f in FAMILIES if f.title is not None]
_SPDX_SUFFIX = re.compile(r"-(?:only|or-later)$|\+$")


def by_id(license_id: str) -> Family | None:
    return _BY_ID.get(license_id)


def normalize_identifier(value: str) -> LicenseIdentity | None:
    """One identifier in any vocabulary -> identity; None for "other", "unknown" or an empty value."""
    key = _key(value)
    if not key or key in ("other", "unknown", "none", "noassertion", "proprietary"):
        return None
    family = _ALIASES.get(key) or _ALIASES.get(_SPDX_SUFFIX.sub("", key))
    if family is not None:
        return family.identity()
    return match_title(value)


def match_title(text: str) -> LicenseIdentity | None:
    """A licence title or free-text name ("Llama 3.1 Community License Agreement") -> identity."""
    flat = " ".join(text.replace("*", " ").split())
    for pattern, family in _TITLES:
        if pattern.search(flat):
            return family.identity()
    return None


def unknown_identity(value: str, *, hf_tag: str | None = "other") -> LicenseIdentity:
    """A licence named by an identifier no family knows: kept as written, never OSI-approved."""
    text = " ".join(value.split())[:120]
    return LicenseIdentity(
        id=_key(text) or None,
        name=text,
        hf_tag=hf_tag,
        hf_license_name=_key(text) if hf_tag == "other" else None,
    )


# Where a card's ``license_link`` points tells the licence too (host + path fragments, lowercase).
_LINKS: tuple[tuple[str, str], ...] = (
    (r"ai\.google\.dev/gemma/terms", "gemma"),
    (r"llama(?:\.meta)?\.com/llama3_3/|llama3\.3", "llama3.3"),
    (r"llama(?:\.meta)?\.com/llama3_2/|llama3\.2", "llama3.2"),
    (r"llama(?:\.meta)?\.com/llama3_1/|llama3\.1", "llama3.1"),
    (r"llama(?:\.meta)?\.com/llama4/", "llama4"),
    (r"llama(?:\.meta)?\.com/llama3/", "llama3"),
    (
        r"ai\.meta\.com/(?:resources/models-and-libraries/)?llama-downloads|ai\.meta\.com/llama/license",
        "llama2",
    ),
    (r"mistral\.ai/licen[cs]es/mrl", "mrl"),
    (r"mistral\.ai/licen[cs]es/mnpl", "mnpl"),
    (r"stability\.ai/community-license", "stabilityai-ai-community"),
    (r"nvidia\.com/[\w/-]*open-model-license", "nvidia-open-model-license"),
    (r"falconllm\.tii\.ae", "falcon-llm-license"),
    (
        r"black-forest-labs/flux[\w./-]*LICENSE-FLUX1-dev|/FLUX\.1-dev/blob/main/LICENSE",
        "flux-1-dev-non-commercial",
    ),
    (r"databricks\.com/legal/open-model-license", "databricks-open-model"),
    (r"coqui\.ai/cpml", "coqui-public-model-license"),
    (r"apache\.org/licenses/license-2\.0", "apache-2.0"),
    (r"opensource\.org/licenses/mit", "mit"),
    (r"creativecommons\.org/licenses/by-nc/4\.0", "cc-by-nc-4.0"),
    (r"creativecommons\.org/licenses/by/4\.0", "cc-by-4.0"),
)
_LINK_PATTERNS = [(re.compile(p, re.IGNORECASE), fid) for p, fid in _LINKS]


def match_link(url: str) -> LicenseIdentity | None:
    """A licence URL ("https://ai.google.dev/gemma/terms") -> identity, when the address is known."""
    for pattern, fid in _LINK_PATTERNS:
        if pattern.search(url):
            family = _BY_ID.get(fid)
            return family.identity() if family is not None else None
    return None
