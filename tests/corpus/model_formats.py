"""Corpus classes for the model formats detected by structure: TensorFlow SavedModel / GraphDef / Keras
SavedModel, TFLite, ExecuTorch, llamafile, NeMo, TorchServe .mar, skops, PaddlePaddle, Core ML, Flax/MLX
msgpack, OCI layouts / ModelKits, dill and cloudpickle pickles.

Every file is written as bytes in the shape the real tools produce (the tools themselves are not installed);
nothing is ever loaded. Malicious variants carry harmless payload names (``echo bypass``, ``/etc/passwd``).
"""

from __future__ import annotations

from . import shapes as S
from . import tf_shapes as T
from .build import Writer

LAMBDA_CODE = "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAdABkAYMBUwApAk4="


# -- TensorFlow ----------------------------------------------------------------------------------------------


def _tf_malicious(w: Writer) -> None:
    base = T.dense_nodes() + T.saver_nodes()
    pyfunc = T.node("py", "PyFunc", ["x"], attrs={"token": T.attr_s("pyfunc_0")})
    w.file(
        "f_tf_savedmodel_pyfunc",
        "saved_model.pb",
        T.saved_model(T.graph_def(base + [pyfunc])),
        "F-tf",
        "SavedModel graph calls a registered Python function (PyFunc)",
    )
    eager = T.function("__inference_call_7", [T.node("e", "EagerPyFunc", ["x"])], ["x"])
    w.file(
        "f_tf_savedmodel_eagerpyfunc_in_function",
        "saved_model.pb",
        T.saved_model(T.graph_def(base, [eager])),
        "F-tf",
        "EagerPyFunc hidden in the function library",
    )
    read = [T.const_string("p", "/etc/passwd"), T.node("r", "ReadFile", ["p"])]
    w.file(
        "f_tf_savedmodel_readfile_etc_passwd",
        "saved_model.pb",
        T.saved_model(T.graph_def(base + read)),
        "F-tf",
        "ReadFile of an absolute path constant",
    )
    restore = [
        T.const_string("p", "../../../../home/user/.ssh/model"),
        T.node("rv", "RestoreV2", ["p", "save/SaveV2/tensor_names"]),
    ]
    w.file(
        "f_tf_savedmodel_restore_traversal",
        "saved_model.pb",
        T.saved_model(T.graph_def(base + restore)),
        "F-tf",
        "RestoreV2 prefix climbs out with ..",
    )
    write = [T.const_string("p", "/tmp/owned.sh"), T.node("wf", "WriteFile", ["p", "x"])]
    w.file(
        "f_tf_graphdef_writefile",
        "frozen_graph.pb",
        T.graph_def(T.dense_nodes() + write),
        "F-tf",
        "frozen GraphDef writes a file to an absolute path",
    )
    w.file(
        "f_tf_graphdef_pyfunc_renamed",
        "weights.bin",
        T.graph_def(T.dense_nodes() + [pyfunc]),
        "F-tf",
        "GraphDef with PyFunc under a name that promises nothing",
    )
    body = [T.node("m", "MatchingFiles", ["pattern"])]
    traced = [T.const_string("pat", "/home/*/.ssh/*"), T.node("call", "StatefulPartitionedCall", ["pat"])]
    w.file(
        "f_tf_savedmodel_matchingfiles_via_function",
        "saved_model.pb",
        T.saved_model(T.graph_def(base + traced, [T.function("__inference_glob_3", body, ["pattern"])])),
        "F-tf",
        "MatchingFiles inside a function fed an absolute glob from the outer graph",
    )
    lam = {
        "class_name": "Lambda",
        "config": {"name": "lam", "function": [LAMBDA_CODE, None, None], "function_type": "lambda"},
    }
    objects = T.keras_model_objects([T.dense_layer(), lam])
    w.folder(
        "f_keras_savedmodel_lambda",
        {
            "saved_model.pb": T.saved_model(T.graph_def(base), keras_objects=[(i, m) for _, i, m in objects]),
            "keras_metadata.pb": T.keras_metadata_pb(objects),
            "fingerprint.pb": T.pb_int(1, 12345),
            "variables/variables.index": b"\x00" * 8,
        },
        "F-tf",
        "Keras SavedModel folder with a bytecode Lambda layer",
    )
    evil = {
        "class_name": "Dense",
        "config": {"name": "d", "activation": {"module": "os", "class_name": "function", "config": "system"}},
    }
    w.file(
        "f_keras_metadata_os_system",
        "keras_metadata.pb",
        T.keras_metadata_pb(T.keras_model_objects([evil])),
        "F-tf",
        "keras_metadata.pb layer activation resolves os.system",
    )
    pbtxt = (
        'saved_model_schema_version: 1\nmeta_graphs {\n  graph_def {\n    node {\n      name: "x"\n'
        '      op: "Placeholder"\n    }\n    node {\n      name: "py"\n      op: "PyFunc"\n      input: "x"\n'
        "    }\n  }\n}\n"
    )
    w.file(
        "f_tf_pbtxt_pyfunc", "saved_model.pbtxt", pbtxt.encode(), "F-tf", "text-format SavedModel with PyFunc"
    )
    data = T.benign_saved_model()
    w.file(
        "f_tf_savedmodel_truncated",
        "saved_model.pb",
        data[: len(data) * 2 // 3],
        "F-tf",
        "truncated SavedModel: the rest of the graph is unread (fail closed)",
    )


def _tf_benign(w: Writer) -> None:
    w.file(
        "bf_tf_savedmodel_dense",
        "saved_model.pb",
        T.benign_saved_model(),
        "tf",
        "TF2 SavedModel: dense layer, saver subgraph, traced functions, vocab asset",
    )
    w.file(
        "bf_tf_graphdef_frozen",
        "frozen_graph.pb",
        T.graph_def(T.dense_nodes()),
        "tf",
        "frozen inference graph",
    )
    objects = T.keras_model_objects([T.dense_layer(), T.dense_layer("dense_1")])
    w.folder(
        "bf_keras_savedmodel",
        {
            "saved_model.pb": T.saved_model(
                T.graph_def(T.dense_nodes() + T.saver_nodes()), keras_objects=[(i, m) for _, i, m in objects]
            ),
            "keras_metadata.pb": T.keras_metadata_pb(objects),
            "fingerprint.pb": T.pb_int(1, 12345),
        },
        "tf",
        "Keras SavedModel folder (two Dense layers)",
    )


# -- llamafile ---------------------------------------------------------------------------------------------


def _llamafile_malicious(w: Writer) -> None:
    w.file(
        "f_llamafile_named_as_gguf",
        "model.gguf",
        S.llamafile(S.small_gguf()),
        "F-llamafile",
        "APE program wrapping a GGUF under a GGUF's name: a program where a model file was expected",
    )
    w.file(
        "f_llamafile_named_as_weights",
        "pytorch_model.bin",
        S.llamafile(S.small_gguf(), program_bytes=65536),
        "F-llamafile",
        "APE program wrapping a GGUF, named like a weights file",
    )
    w.file(
        "f_llamafile_without_model",
        "tiny.llamafile",
        S.APE_HEAD + b"\x90" * 8192,
        "F-llamafile",
        "APE program named as a llamafile that carries no model",
    )
    w.file(
        "f_llamafile_elf_named_llamafile",
        "tiny.llamafile",
        S.elf_with_gguf(S.small_gguf()),
        "F-llamafile",
        "ELF program with a GGUF appended, named as a llamafile (llamafiles are APE programs)",
    )
    w.file(
        "f_llamafile_gguf_ssti",
        "tiny.llamafile",
        S.llamafile(S.small_gguf(S.SSTI)),
        "F-llamafile",
        "llamafile whose embedded GGUF chat template escapes the Jinja sandbox",
    )
    w.file(
        "f_llamafile_elf_appended_gguf",
        "model.bin",
        S.elf_with_gguf(S.small_gguf(S.SSTI)),
        "F-llamafile",
        "ELF program with a GGUF appended, named like a weights file",
    )


# -- NeMo ----------------------------------------------------------------------------------------------------


def _nemo_malicious(w: Writer) -> None:
    from .pickles import CMD, reduce_pickle

    cfg = S.NEMO_CONFIG
    w.file(
        "f_nemo_target_os_system",
        "model.nemo",
        S.nemo_archive(cfg.replace("nemo.collections.asr.modules.ConvASRDecoder", "os.system")),
        "F-nemo",
        "decoder _target_ instantiates os.system",
    )
    w.file(
        "f_nemo_target_foreign_package",
        "model.nemo",
        S.nemo_archive(cfg.replace("nemo.collections.asr.modules.ConvASREncoder", "evil_asr.Encoder")),
        "F-nemo",
        "encoder _target_ imports a package outside NeMo/PyTorch",
    )
    w.file(
        "f_nemo_top_level_target_gz",
        "model.nemo",
        S.nemo_archive(
            cfg.replace(
                "target: nemo.collections.asr.models.ctc_models.EncDecCTCModel", "target: subprocess.Popen"
            ),
            gz=True,
        ),
        "F-nemo",
        "gzipped .nemo whose top-level target (restore_from) is subprocess.Popen",
    )
    w.file(
        "f_nemo_builtins_exec_late",
        "model.nemo",
        S.nemo_archive(
            cfg
            + "".join(f"k{i}: {i}\n" for i in range(600))
            + "hook:\n  _target_: builtins.exec\n  _args_: ['import os']\n"
        ),
        "F-nemo",
        "builtins.exec _target_ far past the first 4 KiB",
    )
    ldm = (
        "model:\n  target: ldm.models.diffusion.ddpm.LatentDiffusion\n  params:\n    first_stage_config:\n"
        "      target: subprocess.getoutput\n      params:\n        cmd: id\n"
    )
    w.folder(
        "f_ldm_config_target",
        {"v1-inference.yaml": ldm, "model.safetensors": b""},
        "F-nemo",
        "latent-diffusion config whose target (instantiate_from_config) is subprocess.getoutput",
    )
    weights = S.zip_bytes({"archive/data.pkl": reduce_pickle("os", "system", CMD), "archive/version": b"3\n"})
    w.file(
        "f_nemo_checkpoint_pickle",
        "model.nemo",
        S.nemo_archive(weights=weights),
        "F-nemo",
        "benign config, model_weights.ckpt pickle calls os.system",
    )


# -- TorchServe .mar and skops -----------------------------------------------------------------------------


def _mar_skops_malicious(w: Writer) -> None:
    from .pickles import CMD, reduce_pickle

    w.file(
        "f_mar_custom_handler",
        "model.mar",
        S.mar_archive("handler.py", {"handler.py": S.HANDLER_PY}),
        "F-mar",
        "TorchServe archive whose handler.py runs on load",
    )
    w.file(
        "f_mar_module_function_handler",
        "model.mar",
        S.mar_archive("evil_handler:handle"),
        "F-mar",
        "handler given as module:function",
    )
    w.file(
        "f_mar_model_file_requirements",
        "model.mar",
        S.mar_archive(
            "image_classifier",
            {"model.py": "import torch\n"},
            modelFile="model.py",
            requirementsFile="requirements.txt",
        ),
        "F-mar",
        "built-in handler but a model.py to import",
    )
    evil = S.zip_bytes({"archive/data.pkl": reduce_pickle("os", "system", CMD)})
    w.file(
        "f_mar_pickled_model",
        "model.mar",
        S.mar_archive(weights=evil),
        "F-mar",
        "built-in handler, serialized model pickle calls os.system",
    )
    nodes = {
        "os_system_function": S.skops_node(
            "builtins", "function", "FunctionNode", {"module_path": "os", "function": "system"}
        ),
        "builtins_eval_object": S.skops_node("builtins", "eval", "ObjectNode", {}),
        "subprocess_type": S.skops_node(
            "builtins", "type", "TypeNode", {"__module__": "subprocess", "__class__": "Popen"}
        ),
        "custom_class": S.skops_node("acme_features.scalers", "RobustScaler", "ObjectNode", {}),
    }
    for name, node in nodes.items():
        w.file(
            f"f_skops_{name}",
            "model.skops",
            S.skops_file(S.skops_logistic_schema({"extra": node})),
            "F-skops",
            f"skops schema node: {node['__loader__']} naming an untrusted type",
        )


# -- TFLite and ExecuTorch ---------------------------------------------------------------------------------


def _mobile_malicious(w: Writer) -> None:
    for name, custom, note in (
        ("custom_op", ["RunNativeHook"], "custom operator needing a native resolver"),
        ("flex_readfile", ["FlexReadFile", "FlexDecodeBase64"], "Flex ReadFile"),
        ("flex_pyfunc", ["FlexPyFunc"], "Flex PyFunc calls Python"),
        ("flex_writefile", ["FlexWriteFile"], "Flex WriteFile"),
    ):
        w.file(f"f_tflite_{name}", "model.tflite", S.tflite_model(custom=custom), "F-tflite", note)
    data = S.tflite_model(custom=["Hook"])
    w.file(
        "f_tflite_truncated", "model.tflite", data[:48], "F-tflite", "operator table cut off (fail closed)"
    )
    w.file(
        "f_pte_custom_kernel",
        "model.pte",
        S.pte_program([("aten::add", "out"), ("my_ops::shell", "out")]),
        "F-pte",
        "ExecuTorch program calls a custom kernel namespace",
    )
    w.file(
        "f_pte_truncated",
        "model.pte",
        S.pte_program([("my_ops::x", "")])[:60],
        "F-pte",
        "operator table cut off (fail closed)",
    )
    w.file(
        "f_pte_kernel_and_delegate_renamed",
        "weights.bin",
        S.pte_program([("shell_ops::run", "")], ["NpuX"]),
        "F-pte",
        "custom kernel and unknown delegate under a name that promises nothing",
    )
    w.file(
        "f_pte_unknown_delegate",
        "model.pte",
        S.pte_program(delegates=["AcmeNpuBackend"]),
        "F-pte",
        "ExecuTorch program delegates to a backend outside the ExecuTorch project",
    )


# -- OCI layouts and ModelKits --------------------------------------------------------------------------------


def _oci_malicious(w: Writer) -> None:
    from .pickles import CMD, reduce_pickle

    gguf_layer = S.model_layer({"model.gguf": S.small_gguf()})
    w.folder(
        "f_oci_layer_pickle",
        S.oci_layout(
            [(S.KIT_MODEL, S.model_layer({"pytorch_model.bin": reduce_pickle("os", "system", CMD)}))]
        ),
        "F-oci",
        "ModelKit layer holds a malicious pickle",
    )
    w.folder(
        "f_oci_layer_gguf_ssti",
        S.oci_layout([(S.KIT_MODEL, S.model_layer({"model.gguf": S.small_gguf(S.SSTI)}))]),
        "F-oci",
        "ModelKit model layer: GGUF with a sandbox-escaping chat template",
    )
    w.folder(
        "f_oci_tampered_layer",
        S.oci_layout(
            [(S.KIT_MODEL, gguf_layer)], tamper={0: S.model_layer({"model.gguf": S.small_gguf() + b"\0"})}
        ),
        "F-oci",
        "layer bytes differ from the digest",
    )
    w.folder(
        "f_oci_foreign_layer_urls",
        S.oci_layout(
            [(S.KIT_MODEL, gguf_layer)], descriptor_extra={0: {"urls": ["http://127.0.0.1/evil.tar.gz"]}}
        ),
        "F-oci",
        "layer descriptor downloads from URLs",
    )
    w.folder(
        "f_oci_digest_traversal",
        S.oci_layout(
            [(S.KIT_MODEL, gguf_layer)], descriptor_extra={0: {"digest": "sha256:../../../../etc/passwd"}}
        ),
        "F-oci",
        "descriptor digest is a traversal path",
    )
    tampered = S.oci_layout(
        [(S.KIT_MODEL, gguf_layer)], tamper={0: S.model_layer({"model.gguf": S.small_gguf(), "extra": b"1"})}
    )
    w.file(
        "f_oci_archive_tampered_blob",
        "image.tar",
        S.tar_bytes({k: v if isinstance(v, bytes) else v.encode() for k, v in tampered.items()}),
        "F-oci",
        "oci-archive tar whose layer blob no longer matches its digest",
    )
    w.folder(
        "f_kitfile_path_escape",
        {"Kitfile": S.KITFILE.replace("./model.gguf", "../../../etc/passwd"), "model.gguf": S.small_gguf()},
        "F-oci",
        "Kitfile model path climbs out",
    )


# -- dill and cloudpickle -------------------------------------------------------------------------------------


def _dill_cloudpickle_malicious(w: Writer) -> None:
    from .pickles import Raw, call, sg, stream

    code = (1, 0, 0, 1, 2, 67, b"\x97\x00|\x00S\x00", (None,), (), ("x",), "<stdin>", "<lambda>")
    w.file(
        "f_dill_lambda",
        "model.pkl",
        stream(
            call(
                sg("dill._dill", "_create_function"),
                Raw(call(sg("dill._dill", "_create_code"), *code)),
                {},
                "<lambda>",
            )
        ),
        "F-dill",
        "dill-pickled lambda (code object)",
    )
    w.file(
        "f_dill_import_module",
        "model.pkl",
        stream(
            call(sg("dill._dill", "_get_attr"), Raw(call(sg("dill._dill", "_import_module"), "os")), "system")
        ),
        "F-dill",
        "dill module import + getattr",
    )
    w.file(
        "f_cloudpickle_make_function",
        "model.pkl",
        stream(
            call(
                sg("cloudpickle.cloudpickle", "_make_function"),
                Raw(call(call(sg("cloudpickle.cloudpickle", "_builtin_type"), "CodeType"), *code)),
                {},
                None,
                None,
                None,
            )
        ),
        "F-cloudpickle",
        "cloudpickle by-value function (CodeType via _builtin_type)",
    )
    w.file(
        "f_dill_create_type",
        "model.pkl",
        stream(
            call(
                sg("dill._dill", "_create_type"),
                Raw(call(sg("dill._dill", "_load_type"), "type")),
                "Evil",
                (),
                {},
            )
        ),
        "F-dill",
        "dill dynamic class creation",
    )
    w.file(
        "f_cloudpickle_skeleton_class",
        "model.pkl",
        stream(
            call(
                sg("cloudpickle.cloudpickle", "_make_skeleton_class"),
                Raw(call(sg("cloudpickle.cloudpickle", "_builtin_type"), "type")),
                "Evil",
                (),
                {},
                "id",
                None,
            )
        ),
        "F-cloudpickle",
        "cloudpickle dynamic class",
    )
    w.file(
        "f_cloudpickle_subimport",
        "model.pkl",
        stream(call(sg("cloudpickle.cloudpickle", "subimport"), "os")),
        "F-cloudpickle",
        "cloudpickle subimport of os",
    )


# -- PaddlePaddle and Core ML ---------------------------------------------------------------------------------


def _paddle_coreml_malicious(w: Writer) -> None:
    from .tf_shapes import pb_len

    w.file(
        "f_paddle_py_func",
        "inference.pdmodel",
        S.paddle_program([S.paddle_op("py_func", {"X": ["x"]}, {"Out": ["y"]}, {"forward_callable_id": 0})]),
        "F-paddle",
        "py_func operator",
    )
    w.file(
        "f_paddle_save_absolute",
        "inference.pdmodel",
        S.paddle_program([S.paddle_op("save", {"X": ["fc.w_0"]}, {}, {"file_path": "/home/user/.bashrc"})]),
        "F-paddle",
        "save to an absolute path",
    )
    w.file(
        "f_paddle_load_traversal",
        "model.bin",
        S.paddle_program(
            [S.paddle_op("load_combine", {}, {"Out": ["fc.w_0"]}, {"file_path": "../../../../etc/shadow"})]
        ),
        "F-paddle",
        "load_combine climbing out with ..",
    )
    from .pickles import CMD, reduce_pickle

    w.folder(
        "f_paddle_params_polyglot",
        {
            "inference.pdmodel": S.paddle_program(),
            "inference.pdiparams": S.paddle_params() + reduce_pickle("os", "system", CMD),
        },
        "F-paddle",
        "pickle appended after the last tensor of .pdiparams",
    )
    w.file(
        "f_coreml_custom_layer",
        "model.mlmodel",
        S.coreml_model(403, S.coreml_custom_layer("HookLayer")),
        "F-coreml",
        "neural network with a custom layer class",
    )
    w.file(
        "f_coreml_custom_model",
        "model.mlmodel",
        S.coreml_model(555, pb_len(10, "ExfilModel")),
        "F-coreml",
        "CustomModel implemented by an application class",
    )
    w.file(
        "f_coreml_pipeline_custom",
        "model.mlmodel",
        S.coreml_model(200, pb_len(1, pb_len(1, S.coreml_model(555, pb_len(10, "Inner"))))),
        "F-coreml",
        "custom model nested in a pipeline",
    )
    w.file(
        "f_coreml_linked_escape",
        "model.mlmodel",
        S.coreml_model(556, S.coreml_linked("x.mlmodelc", "../../../../tmp")),
        "F-coreml",
        "LinkedModel search path climbs out",
    )
    w.folder(
        "f_mlpackage_item_escape",
        S.mlpackage(S.coreml_model(), "../../../../etc/passwd"),
        "F-coreml",
        ".mlpackage manifest item path leaves the package",
    )


# -- MessagePack (Flax / JAX / MLX) ------------------------------------------------------------------------


def _msgpack_malicious(w: Writer) -> None:
    from .pickles import CMD, reduce_pickle

    w.file(
        "f_flax_msgpack_pickled_opt_state",
        "checkpoint_100",
        S.flax_checkpoint({"opt_state": reduce_pickle("os", "system", CMD)}),
        "F-msgpack",
        "pickle stored as a binary payload",
    )
    w.file(
        "f_msgpack_numpy_object_array",
        "weights.msgpack",
        S.flax_checkpoint(
            {
                "w": {
                    "nd": True,
                    "type": "|O",
                    "kind": "O",
                    "shape": [1],
                    "data": b"cos\nsystem\n(S'echo bypass'\ntR.",
                }
            }
        ),
        "F-msgpack",
        "msgpack-numpy object array: data is unpickled on decode",
    )
    w.file(
        "f_orbax_aggregate_pickle",
        "checkpoint",
        S.flax_checkpoint(
            {"nested": [1, {"blob": reduce_pickle("subprocess", "Popen", ["id"], protocol=2)}]}
        ),
        "F-msgpack",
        "orbax aggregate msgpack with a nested pickle",
    )


MALICIOUS = [
    _tf_malicious,
    _llamafile_malicious,
    _nemo_malicious,
    _mar_skops_malicious,
    _mobile_malicious,
    _oci_malicious,
    _dill_cloudpickle_malicious,
    _paddle_coreml_malicious,
    _msgpack_malicious,
]


def _llamafile_benign(w: Writer) -> None:
    w.file(
        "bf_llamafile",
        "tiny.llamafile",
        S.llamafile(S.small_gguf()),
        "llamafile",
        "llamafile: APE runtime with its GGUF stored in the zip (medium: the runtime is code)",
    )
    w.file(
        "bf_llamafile_large_runtime",
        "SmolLM2-135M-Instruct.Q4_1.llamafile",
        S.llamafile(S.small_gguf(), program_bytes=65536),
        "llamafile",
        "llamafile with a larger runtime before its zip",
    )


def _nemo_benign(w: Writer) -> None:
    w.file(
        "bf_nemo_asr",
        "model.nemo",
        S.nemo_archive(),
        "nemo",
        "ASR .nemo: config with NeMo targets + checkpoint",
    )
    w.file("bf_nemo_asr_gz", "model.nemo", S.nemo_archive(gz=True), "nemo", "gzipped .nemo (older NeMo)")
    w.file("bf_hydra_config_yaml", "config.yaml", S.NEMO_CONFIG.encode(), "nemo", "stand-alone NeMo config")


def _mar_skops_benign(w: Writer) -> None:
    w.file(
        "bf_mar_builtin_handler", "resnet.mar", S.mar_archive(), "mar", "TorchServe archive, image_classifier"
    )
    w.file(
        "bf_skops_logistic", "model.skops", S.skops_file(), "skops", "skops LogisticRegression with arrays"
    )


def _mobile_benign(w: Writer) -> None:
    w.file("bf_tflite_cnn", "model.tflite", S.tflite_model(), "tflite", "conv + dense + softmax TFLite model")
    w.file(
        "bf_tflite_ssd_postprocess",
        "detect.tflite",
        S.tflite_model(custom=["TFLite_Detection_PostProcess"]),
        "tflite",
        "SSD detector with TFLite's own post-processing custom op",
    )
    w.file(
        "bf_pte_xnnpack",
        "model.pte",
        S.pte_program(delegates=["XnnpackBackend"]),
        "executorch",
        "ExecuTorch program with aten kernels and an XNNPACK delegate",
    )


def _oci_benign(w: Writer) -> None:
    w.folder(
        "bf_oci_modelkit",
        S.oci_layout(
            [
                (S.KIT_MODEL, S.model_layer({"model.gguf": S.small_gguf()})),
                ("application/vnd.kitops.modelkit.docs.v1.tar+gzip", S.model_layer({"README.md": b"# tiny"})),
            ]
        ),
        "oci",
        "KitOps ModelKit as an OCI layout: GGUF model layer, docs layer",
    )
    layout = S.oci_layout([(S.KIT_MODEL, S.model_layer({"model.gguf": S.small_gguf()}))])
    w.file(
        "bf_oci_archive_tar",
        "image.tar",
        S.tar_bytes({k: v if isinstance(v, bytes) else v.encode() for k, v in layout.items()}),
        "oci",
        "oci-archive tar",
    )
    w.folder(
        "bf_kitfile_folder",
        {"Kitfile": S.KITFILE, "model.gguf": S.small_gguf(), "README.md": "# tiny\n"},
        "oci",
        "unpacked ModelKit with its Kitfile",
    )


def _paddle_coreml_benign(w: Writer) -> None:
    w.folder(
        "bf_paddle_inference",
        {"inference.pdmodel": S.paddle_program(), "inference.pdiparams": S.paddle_params()},
        "paddle",
        "inference program (feed/matmul/add/softmax/fetch) with its parameter file",
    )
    w.file("bf_coreml_classifier", "model.mlmodel", S.coreml_model(), "coreml", "neural network classifier")
    w.folder("bf_mlpackage", S.mlpackage(S.coreml_model()), "coreml", ".mlpackage with manifest and model")


def _msgpack_benign(w: Writer) -> None:
    w.file(
        "bf_flax_msgpack",
        "checkpoint_100",
        S.flax_checkpoint(),
        "msgpack",
        "flax.serialization.to_bytes shape",
    )
    w.folder(
        "bf_orbax_checkpoint",
        {
            "checkpoint": S.flax_checkpoint(),
            "_CHECKPOINT_METADATA": S.json_bytes(
                {"item_handlers": "orbax.checkpoint.PyTreeCheckpointHandler", "init_timestamp_nsecs": 1}
            ),
            "_METADATA": S.json_bytes(
                {
                    "tree_metadata": {
                        "('params', 'Dense_0', 'kernel')": {
                            "key_metadata": [{"key": "params", "key_type": 2}],
                            "value_metadata": {"value_type": "jax.Array"},
                        }
                    }
                }
            ),
        },
        "msgpack",
        "orbax folder with aggregate msgpack and JSON metadata",
    )


BENIGN = [
    _tf_benign,
    _llamafile_benign,
    _nemo_benign,
    _mar_skops_benign,
    _mobile_benign,
    _oci_benign,
    _paddle_coreml_benign,
    _msgpack_benign,
]


def build_malicious(w: Writer) -> None:
    for build in MALICIOUS:
        build(w)


def build_benign(w: Writer) -> None:
    for build in BENIGN:
        build(w)


BUILDERS = {"malicious": build_malicious, "benign": build_benign}
