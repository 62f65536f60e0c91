"""TransformersRuntime on a tiny randomly initialised GPT-2 with a tokenizer and chat template built here."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from weighbridge.audit.runtimes.digest import local_digest
from weighbridge.core.audit import GenerationSettings, Outcome
from weighbridge.core.findings import WeighbridgeError

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
tokenizers = pytest.importorskip("tokenizers")

WORDS = [
    "the",
    "river",
    "city",
    "council",
    "report",
    "market",
    "signal",
    "bridge",
    "archive",
    "season",
    "harbour",
    "ledger",
    "census",
    "tunnel",
    "verdict",
    "quarry",
    "festival",
    "orchard",
    "what",
    "is",
    "a",
    "an",
    "of",
    "to",
    "in",
    "and",
    "write",
    "short",
    "essay",
    "about",
    "government",
]
TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }} {{ m['content'] }} <|im_end|> {% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant {% endif %}"
)
MESSAGES = [
    {"role": "system", "content": "write a short essay"},
    {"role": "user", "content": "what is the river"},
]


def build_model(folder: Path) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers

    specials = ["<unk>", "<pad>", "<eos>", "<|im_start|>", "<|im_end|>"]
    vocab = {tok: i for i, tok in enumerate(specials + ["user", "assistant", "system", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.add_special_tokens(specials)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>"
    )
    fast.chat_template = TEMPLATE
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=len(vocab),
        n_positions=128,
        n_embd=32,
        n_layer=1,
        n_head=2,
        bos_token_id=vocab["<eos>"],
        eos_token_id=vocab["<eos>"],
    )
    transformers.GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model(tmp_path_factory.mktemp("tiny-gpt2"))


@pytest.fixture(scope="module")
def runtime(model_dir: Path):  # type: ignore[no-untyped-def]
    from weighbridge.audit.runtimes.transformers import TransformersRuntime

    rt = TransformersRuntime(model_dir)
    yield rt
    rt.close()


def test_describe_records_the_folder_digest(runtime, model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    m = runtime.describe()
    assert (
        m.runtime == "transformers" and m.digest == local_digest(str(model_dir)) and not runtime.thread_safe
    )


def test_greedy_is_deterministic_and_length_is_reported(runtime) -> None:  # type: ignore[no-untyped-def]
    settings = GenerationSettings(temperature=0.0, max_tokens=8)
    first, second = runtime.complete(MESSAGES, settings), runtime.complete(MESSAGES, settings)
    assert first.outcome is not Outcome.ERROR, first.error
    assert first.text == second.text and first.prompt_tokens and first.prompt_tokens > 10
    assert first.completion_tokens is not None and first.completion_tokens <= 8
    assert (first.finish_reason == "length") == (first.completion_tokens == 8)
    assert (first.outcome is Outcome.TRUNCATED) == (first.finish_reason == "length")


def test_sampling_is_reproducible_by_seed(runtime) -> None:  # type: ignore[no-untyped-def]
    settings = GenerationSettings(temperature=1.0, top_p=0.9, max_tokens=12, seed=5)
    a, b = runtime.complete(MESSAGES, settings), runtime.complete(MESSAGES, settings)
    assert a.outcome is not Outcome.ERROR and a.text == b.text


def test_stop_sequence_ends_the_answer_without_it(runtime) -> None:  # type: ignore[no-untyped-def]
    sampled = GenerationSettings(temperature=1.0, max_tokens=12, seed=5)  # greedy only repeats one word
    full = runtime.complete(MESSAGES, sampled)
    words = full.text.split()
    assert len(words) >= 3 and len(set(words[:3])) == 3, full.text
    stopped = runtime.complete(MESSAGES, replace(sampled, stop=(words[2],)))
    assert stopped.finish_reason == "stop" and stopped.outcome is Outcome.OK
    assert stopped.text.split() == words[:2]


def test_prompt_too_long_is_an_error_completion(runtime) -> None:  # type: ignore[no-untyped-def]
    long = [{"role": "user", "content": " ".join(WORDS * 10)}]
    c = runtime.complete(long, GenerationSettings(temperature=0.0, max_tokens=8))
    assert c.outcome is Outcome.ERROR and c.error and "\n" not in c.error


def test_remote_code_is_never_imported(tmp_path: Path) -> None:
    from weighbridge.audit.runtimes.transformers import TransformersRuntime

    folder = build_model(tmp_path / "remote")
    marker = tmp_path / "remote-code-ran"
    (folder / "evil_modeling.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "evil_modeling.EvilModel"}
    (folder / "config.json").write_text(json.dumps(config))
    try:
        rt = TransformersRuntime(folder)
        rt.complete(MESSAGES, GenerationSettings(temperature=0.0, max_tokens=2))
        rt.close()
    except WeighbridgeError:
        pass  # refusing the folder is fine too; importing its code is not
    assert not marker.exists()


def test_unusable_folders_are_one_line_errors(tmp_path: Path) -> None:
    from weighbridge.audit.runtimes.transformers import TransformersRuntime

    with pytest.raises(WeighbridgeError, match="not a model folder"):
        TransformersRuntime(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(WeighbridgeError, match="transformers cannot load") as info:
        TransformersRuntime(tmp_path / "empty")
    assert "\n" not in str(info.value)
