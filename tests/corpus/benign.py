"""Benign samples shaped like real-world artifacts, made by the real libraries (torch, sklearn, joblib, numpy,
onnx, h5py) or written by hand to spec (safetensors, GGUF). A scanner must keep every one below HIGH.
"""

from __future__ import annotations

import collections
import datetime
import io
import json
import pickle
import random
import struct
import zipfile
from typing import Any

import numpy as np

from . import formats as F
from .build import Writer

try:  # the class of a whole-model torch.save must live in an importable module: this one
    import torch
    from torch import nn

    class TinyNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(4, 8)
            self.act = nn.ReLU()
            self.fc2 = nn.Linear(8, 2)
            self.register_buffer("scale", torch.ones(2))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc2(self.act(self.fc1(x))) * self.scale
except ImportError:  # pragma: no cover - torch is a test dependency
    torch = None  # type: ignore[assignment]


CHAT_TEMPLATE = (
    "{%- if messages and messages[0]['role'] == 'system' -%}"
    "{%- set system_text = messages[0]['content'] -%}{%- set turns = messages[1:] -%}"
    "{%- else -%}{%- set system_text = 'You are a concise, friendly assistant.' -%}{%- set turns = messages -%}"
    "{%- endif -%}"
    "<|im_start|>system\n{{ system_text }}<|im_end|>\n"
    "{%- for turn in turns %}\n<|im_start|>{{ turn['role'] }}\n{{ turn['content'] | trim }}<|im_end|>{% endfor %}"
    "{%- if add_generation_prompt %}\n<|im_start|>assistant\n{% endif -%}"
)

PLAIN_DATA: dict[str, Any] = {
    "name": "tiny-model",
    "version": (1, 2, 3),
    "layers": [4, 8, 2],
    "dropout": 0.1,
    "tags": {"vision", "demo"},
    "frozen": frozenset({"fc1", "fc2"}),
    "blob": b"\x00\x01\x02weights",
    "buffer": bytearray(b"abc"),
    "complex": 1 + 2j,
    "created": datetime.datetime(2024, 5, 1, 12, 30, 0),
    "day": datetime.date(2024, 5, 1),
    "delta": datetime.timedelta(hours=3),
    "ordered": collections.OrderedDict([("a", 1), ("b", 2)]),
    "none": None,
    "flags": [True, False],
    "big": 2**80,
    "nested": {"lr": [1e-3, 5e-4], "schedule": ("cosine", 1000)},
}


def build(w: Writer) -> None:
    _torch(w)
    _sklearn(w)
    _numpy(w)
    _plain(w)
    _safetensors(w)
    _gguf(w)
    _onnx(w)
    _keras(w)
    _hf(w)
    _real_world_objects(w)
    _headerless(w)
    _framework_reconstructors(w)


def _torch(w: Writer) -> None:
    torch.manual_seed(0)
    model = TinyNet()
    sd = model.state_dict()
    w.write_with(
        "bn_torch_state_dict_zip",
        "pytorch_model.bin",
        lambda p: torch.save(sd, p),
        "torch",
        "torch.save(state_dict), zip format",
    )
    w.write_with(
        "bn_torch_state_dict_legacy",
        "model.pt",
        lambda p: torch.save(sd, p, _use_new_zipfile_serialization=False),
        "torch",
        "torch.save(state_dict) legacy stacked-pickle format",
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(3, 4)).sum().backward()
    opt.step()
    w.write_with(
        "bn_torch_optimizer_adam",
        "optimizer.pt",
        lambda p: torch.save(opt.state_dict(), p),
        "torch",
        "Adam optimizer state after one step",
    )
    np.random.seed(0)
    random.seed(0)
    rng = {"python": random.getstate(), "numpy": np.random.get_state(), "cpu": torch.get_rng_state()}
    w.write_with(
        "bn_torch_rng_state",
        "rng_state.pth",
        lambda p: torch.save(rng, p),
        "torch",
        "HF-Trainer-style rng_state.pth: python, numpy and torch RNG states",
    )
    w.write_with(
        "bn_torch_whole_model",
        "model.pt",
        lambda p: torch.save(model, p),
        "torch",
        "torch.save of a whole nn.Module (class in tests.corpus.benign: unknown global acceptable)",
    )
    w.write_with(
        "bn_torchscript",
        "model_scripted.pt",
        lambda p: torch.jit.save(torch.jit.script(TinyNet()), p),
        "torch",
        "TorchScript torch.jit.save",
    )
    ckpt = {
        "epoch": 3,
        "model_state_dict": sd,
        "optimizer_state_dict": opt.state_dict(),
        "loss": 0.125,
        "best_metric": float("nan"),
        "args": {"lr": 1e-3, "batch_size": 32},
    }
    w.write_with(
        "bn_torch_checkpoint_pth_tar",
        "checkpoint.pth.tar",
        lambda p: torch.save(ckpt, p),
        "torch",
        "training checkpoint dict with model and optimizer state",
    )
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    views = {
        "base": base,
        "row": base[1],
        "col": base[:, 2],
        "half": base.half(),
        "bf16": base.bfloat16(),
        "ints": torch.arange(5),
        "mask": torch.tensor([True, False]),
        "empty": torch.empty(0),
    }
    w.write_with(
        "bn_torch_views_dtypes",
        "tensors.pt",
        lambda p: torch.save(views, p),
        "torch",
        "tensors sharing storage (views), f16/bf16/int64/bool/empty",
    )


def _sklearn(w: Writer) -> None:
    import joblib
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rs = np.random.RandomState(0)
    x = rs.randn(60, 4)
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    lr = LogisticRegression().fit(x, y)
    rf = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(x, y)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(x, y)

    w.write_with(
        "bn_joblib_logreg",
        "model.joblib",
        lambda p: joblib.dump(lr, p),
        "sklearn",
        "joblib.dump LogisticRegression, uncompressed",
    )
    w.write_with(
        "bn_joblib_rf_compress3",
        "rf.joblib",
        lambda p: joblib.dump(rf, p, compress=3),
        "sklearn",
        "joblib.dump RandomForest, compress=3 (zlib)",
    )
    w.write_with(
        "bn_joblib_pipeline_lzma",
        "pipeline.joblib",
        lambda p: joblib.dump(pipe, p, compress=("lzma", 3)),
        "sklearn",
        "joblib.dump Pipeline(StandardScaler, LogisticRegression), lzma",
    )
    w.write_with(
        "bn_joblib_pipeline_gzip",
        "pipeline.pkl",
        lambda p: joblib.dump(pipe, p, compress=("gzip", 3)),
        "sklearn",
        "joblib.dump Pipeline, gzip",
    )
    w.write_with(
        "bn_joblib_pipeline_plain",
        "model.sav",
        lambda p: joblib.dump(pipe, p),
        "sklearn",
        "joblib.dump Pipeline, uncompressed, .sav name",
    )
    w.write_with(
        "bn_joblib_numpy_array",
        "embeddings.joblib",
        lambda p: joblib.dump({"emb": np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)}, p),
        "sklearn",
        "joblib.dump of numpy arrays (NumpyArrayWrapper + raw array bytes)",
    )
    for proto, name, obj in ((2, "logreg", lr), (3, "rf", rf), (4, "pipeline", pipe), (5, "logreg", lr)):
        w.file(
            f"bn_pickle_{name}_p{proto}",
            f"{name}.pkl",
            pickle.dumps(obj, protocol=proto),
            "sklearn",
            f"pickle.dumps({type(obj).__name__}) protocol {proto}",
        )


def _numpy(w: Writer) -> None:
    def save(arr: Any):
        return lambda p: np.save(p, arr)

    w.write_with(
        "bn_npy_float32",
        "weights.npy",
        save(np.linspace(-1, 1, 32, dtype=np.float32).reshape(4, 8)),
        "numpy",
        "np.save float32 matrix",
    )
    w.write_with(
        "bn_npy_int64_fortran",
        "ids.npy",
        save(np.asfortranarray(np.arange(12).reshape(3, 4))),
        "numpy",
        "np.save int64 fortran-order",
    )
    rec = np.array([(1, 2.0, b"ab"), (3, 4.0, b"cd")], dtype=[("id", "<i4"), ("score", "<f8"), ("tag", "S2")])
    w.write_with(
        "bn_npy_structured", "records.npy", save(rec), "numpy", "np.save structured dtype (no objects)"
    )
    arrays = {
        "w": np.ones((3, 3), np.float32),
        "b": np.zeros(3, np.float64),
        "idx": np.arange(5, dtype=np.int32),
    }
    w.write_with("bn_npz", "arrays.npz", lambda p: np.savez(p, **arrays), "numpy", "np.savez numeric arrays")
    w.write_with(
        "bn_npz_compressed",
        "arrays_c.npz",
        lambda p: np.savez_compressed(p, **arrays),
        "numpy",
        "np.savez_compressed numeric arrays",
    )
    w.file(
        "bn_numpy_random_state_pickle",
        "rng.pkl",
        pickle.dumps(np.random.RandomState(42), protocol=4),
        "numpy",
        "pickle of numpy RandomState",
    )
    w.file(
        "bn_numpy_rng_get_state_p2",
        "rng_state.pkl",
        pickle.dumps(np.random.get_state(), protocol=2),
        "numpy",
        "np.random.get_state() tuple with an array, protocol 2 (_codecs.encode path)",
    )
    w.file(
        "bn_numpy_array_pickle_p5",
        "array.pkl",
        pickle.dumps(np.arange(10.0), protocol=5),
        "numpy",
        "pickle.dumps(ndarray) protocol 5",
    )


def _plain(w: Writer) -> None:
    for p in range(6):
        w.file(
            f"bn_plain_data_p{p}",
            "meta.pkl",
            pickle.dumps(PLAIN_DATA, protocol=p),
            "plain",
            f"dicts/lists/tuples/sets/frozensets/bytes/bytearray/complex/datetime/OrderedDict, protocol {p}",
        )


def _safetensors(w: Writer) -> None:
    w.file(
        "bn_safetensors_f32",
        "model.safetensors",
        F.safetensors_from_arrays(
            {"embed.weight": np.ones((4, 8), np.float32), "lm_head.weight": np.zeros((8, 4), np.float32)},
            {"format": "pt"},
        ),
        "safetensors",
        "f32 tensors with __metadata__ format=pt",
    )
    w.file(
        "bn_safetensors_mixed",
        "mixed.safetensors",
        F.safetensors_from_arrays(
            {
                "a_half": np.ones(6, np.float16),
                "b_ids": np.arange(3, dtype=np.int64),
                "c_mask": np.array([True, False, True]),
                "d_bytes": np.arange(5, dtype=np.uint8),
                "e_empty": np.zeros((0, 4), np.float32),
            }
        ),
        "safetensors",
        "f16/i64/bool/u8 and an empty tensor",
    )
    w.file(
        "bn_safetensors_scalar",
        "scalar.safetensors",
        F.safetensors_from_arrays({"temperature": np.array(0.7, dtype=np.float32)}, {"note": "scalar"}),
        "safetensors",
        "0-d tensor",
    )


def _gguf_model(template: str) -> bytes:
    meta = {
        "general.architecture": "llama",
        "general.name": "tiny-chat",
        "general.alignment": 32,
        "general.file_type": 0,
        "llama.context_length": 128,
        "llama.embedding_length": 4,
        "llama.block_count": 1,
        "llama.attention.head_count": 1,
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.tokens": ["<|im_start|>", "<|im_end|>", "a", "b"],
        "tokenizer.ggml.bos_token_id": 0,
        "tokenizer.ggml.eos_token_id": 1,
        "tokenizer.chat_template": template,
    }
    tensors = [
        ("token_embd.weight", (4, 4), struct.pack("<16f", *([0.25] * 16))),
        ("output_norm.weight", (4,), struct.pack("<4f", 1, 1, 1, 1)),
    ]
    return F.gguf_bytes(meta, tensors)


def _gguf(w: Writer) -> None:
    w.file(
        "bn_gguf_chatml",
        "tiny-chat.gguf",
        _gguf_model(CHAT_TEMPLATE),
        "gguf",
        "GGUF v3 with a ChatML-style template",
    )


def _onnx_bytes(external: bool = False) -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 2])
    wt = numpy_helper.from_array(np.full((4, 2), 0.5, dtype=np.float32), "W")
    if external:
        wt = TensorProto(name="W", dims=[4, 2], data_type=TensorProto.FLOAT)
        wt.data_location = TensorProto.EXTERNAL
        for k, v in (("location", "weights.bin"), ("offset", "0"), ("length", "32")):
            e = wt.external_data.add()
            e.key, e.value = k, v
    b = numpy_helper.from_array(np.zeros(2, dtype=np.float32), "B")
    nodes = [
        helper.make_node("MatMul", ["X", "W"], ["XW"]),
        helper.make_node("Add", ["XW", "B"], ["Z"]),
        helper.make_node("Relu", ["Z"], ["Y"]),
    ]
    graph = helper.make_graph(nodes, "tiny", [x], [y], initializer=[wt, b])
    model = helper.make_model(
        graph, producer_name="weighbridge-corpus", opset_imports=[helper.make_opsetid("", 17)]
    )
    model.ir_version = 8
    return model.SerializeToString()


def _onnx(w: Writer) -> None:
    w.file("bn_onnx_mlp", "model.onnx", _onnx_bytes(), "onnx", "MatMul/Add/Relu with inline initializers")
    w.folder(
        "bn_onnx_external_data",
        {"model.onnx": _onnx_bytes(external=True), "weights.bin": np.full(8, 0.5, np.float32).tobytes()},
        "onnx",
        "external data in weights.bin beside the model (relative, inside the folder)",
    )


def _keras(w: Writer) -> None:
    import h5py

    def dense(name: str, units: int) -> dict[str, Any]:
        return {
            "module": "keras.layers",
            "class_name": "Dense",
            "registered_name": None,
            "config": {
                "name": name,
                "trainable": True,
                "dtype": "float32",
                "units": units,
                "activation": "relu",
                "use_bias": True,
                "kernel_initializer": {
                    "module": "keras.initializers",
                    "class_name": "GlorotUniform",
                    "config": {"seed": None},
                    "registered_name": None,
                },
            },
        }

    cfg = {
        "module": "keras",
        "class_name": "Sequential",
        "registered_name": None,
        "config": {
            "name": "sequential",
            "trainable": True,
            "dtype": "float32",
            "layers": [
                {
                    "module": "keras.layers",
                    "class_name": "InputLayer",
                    "registered_name": None,
                    "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "input"},
                },
                dense("dense", 8),
                dense("dense_1", 2),
            ],
        },
        "build_config": {"input_shape": [None, 4]},
        "compile_config": {"optimizer": "adam", "loss": "mse", "metrics": None},
    }
    wbuf = io.BytesIO()
    with h5py.File(wbuf, "w") as h:
        g = h.create_group("layers/dense/vars")
        g.create_dataset("0", data=np.zeros((4, 8), np.float32))
        g.create_dataset("1", data=np.zeros(8, np.float32))
        h.create_group("vars")
    meta = {"keras_version": "3.8.0", "date_saved": "2025-01-01@00:00:00"}
    w.file(
        "bn_keras_dense",
        "model.keras",
        F.zip_bytes(
            [
                ("metadata.json", json.dumps(meta).encode()),
                ("config.json", json.dumps(cfg).encode()),
                ("model.weights.h5", wbuf.getvalue()),
            ],
            compression=zipfile.ZIP_DEFLATED,
        ),
        "keras",
        "Keras 3 .keras with Dense layers",
    )
    legacy = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "in"},
                },
                {
                    "class_name": "Dense",
                    "config": {"name": "dense", "units": 2, "activation": "softmax", "use_bias": True},
                },
            ],
        },
    }

    def write_h5(path: Any) -> None:
        with h5py.File(path, "w") as h:
            h.attrs["keras_version"] = "2.15.0"
            h.attrs["backend"] = "tensorflow"
            h.attrs["model_config"] = json.dumps(legacy)
            mw = h.create_group("model_weights/dense/dense")
            mw.create_dataset("kernel:0", data=np.zeros((4, 2), np.float32))
            mw.create_dataset("bias:0", data=np.zeros(2, np.float32))

    w.write_with("bn_keras_h5_dense", "model.h5", write_h5, "keras", "legacy Keras .h5 with Dense layers")


def _hf(w: Writer) -> None:
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": 8,
        "intermediate_size": 16,
        "num_attention_heads": 2,
        "num_hidden_layers": 1,
        "vocab_size": 4,
        "torch_dtype": "float32",
        "transformers_version": "4.46.0",
    }
    tok = {
        "bos_token": "<|im_start|>",
        "eos_token": "<|im_end|>",
        "model_max_length": 128,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "chat_template": CHAT_TEMPLATE,
        "add_bos_token": False,
    }
    gen = {
        "bos_token_id": 0,
        "eos_token_id": 1,
        "do_sample": True,
        "temperature": 0.7,
        "top_p": 0.9,
        "max_new_tokens": 64,
    }
    readme = (
        "---\nlicense: apache-2.0\nlanguage:\n- en\nlibrary_name: transformers\npipeline_tag: text-generation\n"
        "tags:\n- tiny\n- test\n---\n\n# tiny-chat\n\nA very small model used for tests. Use it with "
        "`AutoModelForCausalLM.from_pretrained`.\n"
    )
    st = F.safetensors_from_arrays(
        {
            "model.embed_tokens.weight": np.zeros((4, 8), np.float32),
            "lm_head.weight": np.zeros((4, 8), np.float32),
        },
        {"format": "pt"},
    )
    w.folder(
        "bn_hf_folder",
        {
            "config.json": json.dumps(config, indent=2),
            "tokenizer_config.json": json.dumps(tok, indent=2),
            "generation_config.json": json.dumps(gen, indent=2),
            "special_tokens_map.json": json.dumps({"bos_token": "<|im_start|>", "eos_token": "<|im_end|>"}),
            "model.safetensors": st,
            "README.md": readme,
            ".gitattributes": "*.safetensors filter=lfs\n",
        },
        "hf",
        "HF folder: config, tokenizer_config with ChatML template, generation_config, safetensors, README",
    )
    buf = io.BytesIO()
    torch.save(TinyNet().state_dict(), buf)
    w.folder(
        "bn_hf_folder_pytorch_bin",
        {
            "config.json": json.dumps({"model_type": "tiny", "hidden_size": 8}),
            "pytorch_model.bin": buf.getvalue(),
            "README.md": readme,
        },
        "hf",
        "HF folder with a torch.save state_dict pytorch_model.bin",
    )


# ----------------------------------------------------------------------------------------------------------
# Real-world pickled objects that share modules with known gadgets (uuid, pathlib, re, functools...) or come
# from libraries not installed here (transformers, lightning): written by pickle.dumps of stand-in classes
# registered under the real module names for the duration of the dump (dumping imports nothing).
# ----------------------------------------------------------------------------------------------------------

TOOL_TEMPLATE = (
    "{%- set ns = namespace(system='', has_tools=false) -%}"
    "{%- if tools is defined and tools -%}{%- set ns.has_tools = true -%}{%- endif -%}"
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'system' -%}{%- set ns.system = m['content'] -%}"
    "{%- elif m['role'] not in ['user', 'assistant', 'tool'] -%}"
    "{{ raise_exception('roles must be user, assistant or tool') }}"
    "{%- endif -%}{%- endfor -%}"
    "<|begin|>system\n{{ ns.system or 'Answer briefly.' }}"
    "{%- if ns.has_tools %}\nYou may call these tools:\n{%- for t in tools %}\n{{ t | tojson }}{%- endfor %}{%- endif -%}"
    "<|end|>\n"
    "{%- for m in messages if m['role'] != 'system' -%}"
    "<|begin|>{{ m['role'] }}\n"
    "{%- if m.tool_calls is defined -%}{%- for c in m.tool_calls -%}"
    '{"name": "{{ c.function.name }}", "arguments": {{ c.function.arguments | tojson }}}'
    "{%- endfor -%}{%- else -%}{{ m['content'] | trim }}{%- endif -%}"
    "<|end|>{% if not loop.last %}\n{% endif %}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}\n<|begin|>assistant\n{%- endif -%}"
)


class _Stand:
    """Registers classes under foreign module names while pickling."""

    def __init__(self, **classes: type) -> None:
        self.classes = classes
        self.added: list[str] = []

    def __enter__(self) -> _Stand:
        import sys
        import types

        for qual, cls in self.classes.items():
            mod, _, name = qual.rpartition(":")
            parts = mod.split(".")
            for i in range(1, len(parts) + 1):  # parents too: the pickler imports the dotted name
                m = ".".join(parts[:i])
                if m not in sys.modules:
                    sys.modules[m] = types.ModuleType(m)
                    self.added.append(m)
            setattr(sys.modules[mod], name, cls)
            cls.__module__, cls.__qualname__, cls.__name__ = mod, name, name
        return self

    def __exit__(self, *exc: object) -> None:
        import sys

        for mod in self.added:
            sys.modules.pop(mod, None)


def _real_world_objects(w: Writer) -> None:
    import argparse
    import dataclasses
    import decimal
    import enum
    import pathlib
    import re
    import uuid

    # HF Trainer training_args.bin: a dataclass with enums, saved with torch.save
    class IntervalStrategy(str, enum.Enum):  # noqa: UP042 - transformers uses (str, Enum)
        NO = "no"
        STEPS = "steps"

    class SchedulerType(str, enum.Enum):  # noqa: UP042
        LINEAR = "linear"

    @dataclasses.dataclass
    class TrainingArguments:
        output_dir: str = "out"
        learning_rate: float = 5e-5
        eval_strategy: Any = None
        lr_scheduler_type: Any = None
        seed: int = 42

    with _Stand(
        **{
            "transformers.trainer_utils:IntervalStrategy": IntervalStrategy,
            "transformers.trainer_utils:SchedulerType": SchedulerType,
            "transformers.training_args:TrainingArguments": TrainingArguments,
        }
    ):
        args = TrainingArguments(eval_strategy=IntervalStrategy.STEPS, lr_scheduler_type=SchedulerType.LINEAR)
        buf = io.BytesIO()
        torch.save(args, buf)
    w.file(
        "bn_hf_training_args_bin",
        "training_args.bin",
        buf.getvalue(),
        "real-world",
        "HF Trainer training_args.bin: dataclass + str enums (transformers classes, not installed)",
    )

    # PyTorch Lightning checkpoint: AttributeDict hyper-parameters, callbacks state, a state_dict
    class AttributeDict(dict):
        pass

    with _Stand(**{"lightning_fabric.utilities.data:AttributeDict": AttributeDict}):
        ckpt = {
            "epoch": 4,
            "global_step": 500,
            "pytorch-lightning_version": "2.4.0",
            "state_dict": TinyNet().state_dict(),
            "hyper_parameters": AttributeDict(lr=1e-3, hidden=8, data_dir=pathlib.PurePosixPath("/data/x")),
            "callbacks": {
                "ModelCheckpoint{'monitor': 'val_loss', 'mode': 'min'}": {
                    "best_model_score": torch.tensor(0.25),
                    "best_model_path": "/ckpt/epoch=3.ckpt",
                }
            },
            "lr_schedulers": [{"last_epoch": 4, "_step_count": 5}],
        }
        buf = io.BytesIO()
        torch.save(ckpt, buf)
    w.file(
        "bn_lightning_ckpt",
        "epoch=4-step=500.ckpt",
        buf.getvalue(),
        "real-world",
        "Lightning-style checkpoint with AttributeDict hparams and a PurePosixPath",
    )

    objs = {
        "bn_obj_numpy_scalars": (
            {"acc": np.float64(0.91), "n": np.int64(5), "ok": np.bool_(True)},
            "numpy scalars (numpy._core.multiarray.scalar + dtype)",
        ),
        "bn_obj_argparse_namespace": (
            argparse.Namespace(lr=0.1, arch="tiny", seed=1),
            "argparse.Namespace (fairseq-style args)",
        ),
        "bn_obj_defaultdict": (collections.defaultdict(list, {"a": [1, 2]}), "collections.defaultdict(list)"),
        "bn_obj_counter_deque": (
            {"c": collections.Counter("hello"), "d": collections.deque([1, 2], maxlen=5)},
            "Counter and deque",
        ),
        "bn_obj_pathlib": (
            {"root": pathlib.PurePosixPath("/data/models"), "p": pathlib.PosixPath("/tmp/x")},
            "pathlib paths (same module as the pathlib.os.system gadget)",
        ),
        "bn_obj_uuid": (
            {"run_id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
            "uuid.UUID (same module as uuid._get_command_stdout)",
        ),
        "bn_obj_regex": ({"pat": re.compile(r"\s+", re.I)}, "compiled regex (re._compile)"),
        "bn_obj_decimal_fraction": (
            {"d": decimal.Decimal("1.10"), "r": range(3), "s": slice(1, 5, 2)},
            "Decimal, range, slice",
        ),
    }
    for name, (obj, note) in objs.items():
        for proto in (2, 4):
            w.file(
                f"{name}_p{proto}",
                "obj.pkl",
                pickle.dumps(obj, protocol=proto),
                "real-world",
                f"{note}, protocol {proto}",
            )

    # Templates that use the Jinja features real chat templates need (namespace, raise_exception, tojson)
    w.file(
        "bn_gguf_tool_template",
        "tools.gguf",
        _gguf_model(TOOL_TEMPLATE),
        "gguf",
        "GGUF with a tool-calling template using namespace(), raise_exception and tojson",
    )
    w.folder(
        "bn_hf_chat_template_jinja",
        {
            "config.json": json.dumps({"model_type": "llama"}),
            "tokenizer_config.json": json.dumps({"model_max_length": 128}),
            "chat_template.jinja": TOOL_TEMPLATE + "\n",
            "model.safetensors": F.safetensors_from_arrays({"w": np.zeros((2, 2), np.float32)}),
        },
        "hf",
        "HF folder with chat_template.jinja (tool-calling template)",
    )

    # Keras custom (registered) layer: needs the user's code, but no code in the file
    cfg = {
        "module": "keras",
        "class_name": "Sequential",
        "registered_name": None,
        "config": {
            "name": "sequential",
            "layers": [
                {
                    "module": "keras.layers",
                    "class_name": "InputLayer",
                    "registered_name": None,
                    "config": {"batch_shape": [None, 4], "name": "input"},
                },
                {
                    "module": "my_package.layers",
                    "class_name": "ScaledDense",
                    "registered_name": "MyPackage>ScaledDense",
                    "config": {"name": "scaled", "units": 2, "scale": 0.5},
                },
            ],
        },
    }
    w.file(
        "bn_keras_custom_registered_layer",
        "model.keras",
        F.zip_bytes(
            [
                ("metadata.json", json.dumps({"keras_version": "3.8.0"}).encode()),
                ("config.json", json.dumps(cfg).encode()),
                ("model.weights.h5", b""),
            ],
            compression=zipfile.ZIP_DEFLATED,
        ),
        "keras",
        "registered custom layer MyPackage>ScaledDense (needs user code, carries none)",
    )


def _headerless(w: Writer) -> None:
    """Header-less pickles of plain data whose first KiBs import nothing, and text whose first bytes happen
    to be pickle opcodes: pickles the sniffer must take, text it must hand on (issue 12)."""
    import pickle

    vocab = {"tokens": [f"tok{i}" for i in range(4000)], "merges": "a b\n" * 3000, "ids": list(range(3000))}
    w.file(
        "bn_headerless_p0_vocab",
        "vocab.pkl",
        pickle.dumps(vocab, protocol=0),
        "headerless",
        "protocol-0 pickle of plain data, long string and numbers first",
    )
    w.file(
        "bn_headerless_p1_vocab",
        "vocab.bin",
        pickle.dumps(vocab, protocol=1),
        "headerless",
        "protocol-1 pickle of plain data (no PROTO header)",
    )
    licence = (
        "The MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a "
        "copy of this software.\n" * 60
    )
    w.file(
        "bn_text_starts_with_opcode_letter",
        "LICENSE",
        licence.encode(),
        "headerless",
        "text whose first byte is BINSTRING ('T') with a length past the end",
    )
    w.file(
        "bn_text_long_v_line",
        "NOTES.txt",
        ("Very long line " * 400 + "\n").encode(),
        "headerless",
        "text whose first line reads as one 6 KB UNICODE argument",
    )


def _framework_reconstructors(w: Writer) -> None:
    """Framework functions that rebuild their own classes (sklearn's BinaryTree ``newObj``, Cython
    ``__pyx_unpickle_*``): called by the pickle, but instantiation, not an arbitrary call (issue 12)."""
    import pickle

    from sklearn.neighbors import KNeighborsClassifier

    x = np.random.RandomState(0).rand(20, 3)
    knn = KNeighborsClassifier(n_neighbors=1, algorithm="kd_tree").fit(x, [0, 1] * 10)
    w.file(
        "bn_pickle_knn_kdtree_p4",
        "knn.pkl",
        pickle.dumps(knn, protocol=4),
        "reconstructor",
        "KNeighborsClassifier with a KDTree: sklearn.neighbors._kd_tree.newObj(KDTree) + state",
    )
    w.file(
        "bn_pickle_numpy_generator_p4",
        "rng.pkl",
        pickle.dumps(np.random.default_rng(0), protocol=4),
        "reconstructor",
        "numpy Generator: __generator_ctor(__bit_generator_ctor(PCG64)) + __pyx_unpickle_*",
    )
