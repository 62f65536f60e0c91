"""The pickle global policy: allowlist first, dangerous families second, everything else "unknown".

A global is what GLOBAL / STACK_GLOBAL / INST resolve: ``module`` plus ``name`` (a dotted attribute path
under protocol >= 4). Loading one imports its module; calling it runs it. Three verdicts:

* SAFE — names real checkpoints use (tensor/storage rebuilders, NumPy reconstruction, plain containers).
* DANGEROUS — whole families rather than a short denylist: process and code execution, importers and name
  resolvers, code-object construction, file and network primitives, nested deserialisers, and exec gadgets
  inside otherwise trusted namespaces (torch, numpy, stdlib debuggers/profilers/REPLs), plus scanner tampering.
* UNKNOWN — anything else (``sklearn.*``, ``transformers.TrainingArguments``, a user's own class): reported
  with its full name, but not called malicious.
"""

from __future__ import annotations

import enum
import functools
import sys


class Verdict(enum.Enum):
    SAFE = "safe"
    UNKNOWN = "unknown"
    DANGEROUS = "dangerous"


class Classification:
    """What the policy says of one global. Immutable by convention; compared and hashed by value. (A plain
    class: a frozen dataclass cost half a millisecond of every start-up.)"""

    __slots__ = ("verdict", "family", "qualname", "pattern")

    def __init__(self, verdict: Verdict, family: str, qualname: str, pattern: bool = False) -> None:
        self.verdict = verdict
        self.family = family  # why: "allowlist", "process execution", ...
        self.qualname = qualname  # normalised "module.name"
        self.pattern = pattern  # matched a name-prefix family (_PATTERN_FAMILIES) rather than a module family

    def _key(self) -> tuple[Verdict, str, str, bool]:
        return (self.verdict, self.family, self.qualname, self.pattern)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Classification) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Classification(verdict={self.verdict!r}, family={self.family!r}, qualname={self.qualname!r}, "
            f"pattern={self.pattern!r})"
        )


# Python 2 names that the unpickler maps (fix_imports) — applied before classification.
_MODULE_ALIASES = {
    "__builtin__": "builtins",
    "copy_reg": "copyreg",
    "exceptions": "builtins",
    "cPickle": "pickle",
    "_compat_pickle": "_compat_pickle",
    "commands": "subprocess",
    "urllib2": "urllib.request",
    "httplib": "http.client",
    "SocketServer": "socketserver",
    "Tkinter": "tkinter",
    "__main__": "__main__",
    "UserDict": "collections",
    "UserList": "collections",
    "UserString": "collections",
    "cStringIO": "io",
    "StringIO": "io",
    "dbm": "dbm",
    "thread": "_thread",
    "Queue": "queue",
}

# --- allowlist ------------------------------------------------------------------------------------------
_SAFE_EXACT: frozenset[str] = frozenset(
    {
        # containers and scalars
        "collections.OrderedDict",
        "collections.defaultdict",
        "collections.Counter",
        "collections.deque",
        "builtins.set",
        "builtins.frozenset",
        "builtins.complex",
        "builtins.bytearray",
        "builtins.slice",
        "builtins.range",
        "builtins.bytes",
        "builtins.dict",
        "builtins.list",
        "builtins.tuple",
        "builtins.int",
        "builtins.float",
        "builtins.str",
        "builtins.bool",
        "builtins.object",
        "builtins.NoneType",
        "builtins.Ellipsis",
        "builtins.NotImplemented",
        "copyreg._reconstructor",
        "copyreg.__newobj__",
        "copyreg.__newobj_ex__",
        "_codecs.encode",
        "codecs.encode",  # protocol <= 2 spelling of bytes objects
        "datetime.datetime",
        "datetime.date",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
        "fractions.Fraction",
        "uuid.UUID",
        "pathlib.PosixPath",
        "pathlib.WindowsPath",
        "pathlib.PurePosixPath",
        "pathlib.PureWindowsPath",
        "enum.Enum",
        "argparse.Namespace",  # training scripts' arguments (Lightning, fairseq checkpoints)
        "re._compile",  # how the stdlib pickles a compiled regular expression
        "array.array",
        "array._array_reconstructor",
        # plain-data classes of the standard library (instantiating them reads or writes nothing)
        "time.struct_time",
        "collections.UserDict",
        "collections.UserList",
        "collections.UserString",
        "collections.ChainMap",
        "ipaddress.IPv4Address",
        "ipaddress.IPv6Address",
        "ipaddress.IPv4Network",
        "ipaddress.IPv6Network",
        "ipaddress.IPv4Interface",
        "ipaddress.IPv6Interface",
        "random.Random",
        "statistics.NormalDist",
        "decimal.Context",
        # numpy reconstruction
        "numpy.core.multiarray._reconstruct",
        "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
        "numpy.core.numeric._frombuffer",
        "numpy._core.numeric._frombuffer",
        "numpy.ndarray",
        "numpy.dtype",
        "numpy.ma.core._mareconstruct",
        "numpy.ma.core.MaskedArray",
        "numpy.random._pickle.__randomstate_ctor",
        "numpy.random._pickle.__bit_generator_ctor",
        "numpy.random._pickle.__generator_ctor",
        "numpy.random.mtrand.RandomState",
        "numpy.random._mt19937.MT19937",
        "numpy.random._pcg64.PCG64",
        "numpy.random._pcg64.PCG64DXSM",
        "numpy.random._philox.Philox",
        "numpy.random._sfc64.SFC64",
        "numpy.random._generator.Generator",
        "numpy.random.bit_generator.SeedSequence",
        "numpy.core.multiarray.array",
        "numpy.random.__RandomState_ctor",
        # joblib array containers (arrays follow the pickle opcodes; handled by the analyser)
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
        # torch checkpoints (the weights_only vocabulary)
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch._utils._rebuild_sparse_tensor",
        "torch._utils._rebuild_nested_tensor",
        "torch._utils._rebuild_device_tensor_from_numpy",
        "torch._utils._rebuild_meta_tensor_no_storage",
        "torch._utils._rebuild_wrapper_subclass",
        "torch._utils._rebuild_qtensor",
        "torch._utils._rebuild_device_tensor_from_cpu_tensor",
        "torch._tensor._rebuild_from_type_v2",
        "torch._utils._rebuild_xla_tensor",
        "torch._utils._rebuild_mkldnn_tensor",
        "torch.nn.parameter.Parameter",
        "torch.nn.parameter.Buffer",
        "torch.Tensor",
        "torch.Size",
        "torch.device",
        "torch.dtype",
        "torch.layout",
        "torch.memory_format",
        "torch.strided",
        "torch.sparse_coo",
        "torch.sparse_csr",
        "torch._C._nn.gelu",
        "torch.storage.UntypedStorage",
        "torch.storage.TypedStorage",
        "torch.UntypedStorage",
        "torch.serialization._get_layout",
        "torch.contiguous_format",
        "torch.channels_last",
        "torch.preserve_format",
        "torch.channels_last_3d",
        "torch.per_tensor_affine",
        "torch.per_channel_affine",
        "torch.per_tensor_symmetric",
        "torch.per_channel_symmetric",
        "torch.torch_version.TorchVersion",
        "torch.optim.lr_scheduler.LambdaLR",
        "torch.amp.grad_scaler.GradScaler",
        # TorchScript archives' own pickles (read by TorchScript's C++ unpickler)
        "torch.jit._pickle.build_intlist",
        "torch.jit._pickle.build_tensorlist",
        "torch.jit._pickle.build_doublelist",
        "torch.jit._pickle.build_boollist",
        "torch.jit._pickle.build_tensor_from_id",
        "torch.jit._pickle.restore_type_tag",
    }
)
_TORCH_STORAGES = {
    f"torch.{kind}Storage"
    for kind in (
        "Float",
        "Double",
        "Half",
        "BFloat16",
        "Long",
        "Int",
        "Short",
        "Char",
        "Byte",
        "Bool",
        "ComplexFloat",
        "ComplexDouble",
        "QInt8",
        "QUInt8",
        "QInt32",
        "QUInt4x2",
        "QUInt2x4",
        "Untyped",
    )
} | {
    f"torch.cuda.{kind}Storage"
    for kind in ("Float", "Double", "Half", "BFloat16", "Long", "Int", "Byte", "Bool")
}
_TORCH_DTYPES = {
    f"torch.{d}"
    for d in (
        "float32",
        "float",
        "float64",
        "double",
        "float16",
        "half",
        "bfloat16",
        "complex64",
        "complex128",
        "cfloat",
        "cdouble",
        "uint8",
        "int8",
        "int16",
        "short",
        "int32",
        "int",
        "int64",
        "long",
        "bool",
        "qint8",
        "quint8",
        "qint32",
        "quint4x2",
        "quint2x4",
        "float8_e4m3fn",
        "float8_e5m2",
        "float8_e4m3fnuz",
        "float8_e5m2fnuz",
        "uint16",
        "uint32",
        "uint64",
        "complex32",
        "chalf",
        "float8_e8m0fnu",
        "float4_e2m1fn_x2",
        "bits8",
        "bits16",
    )
}
_SAFE = _SAFE_EXACT | _TORCH_STORAGES | _TORCH_DTYPES

# Class namespaces whose members are plain data classes rebuilt by NEWOBJ + BUILD (torch.save(model)).
_SAFE_CLASS_PREFIXES = ("torch.nn.modules.", "numpy.dtypes.")

# --- dangerous families ---------------------------------------------------------------------------------
# Each entry: a module prefix ("os" covers "os.path" too) or an exact "module.name". Matching is on dotted
# components, so "asyncio" covers "asyncio.unix_events._UnixSubprocessTransport._start".
_FAMILIES: dict[str, tuple[str, ...]] = {
    "process execution": (
        "os",
        "posix",
        "nt",
        "subprocess",
        "_posixsubprocess",
        "pty",
        "popen2",
        "platform",
        "multiprocessing",
        "_winapi",
        "asyncio",
        "concurrent.futures.process",
        "spawn",
        "distutils.spawn",
        "uuid._get_command_stdout",
        "uuid._popen",
        "_osx_support",
        "_aix_support",
        "imaplib.IMAP4_stream",
        "mailcap",
        "_pyrepl",
        "pydoc.pipepager",
        "pydoc.tempfilepager",
        "pydoc.pager",
        "webbrowser",
        "shlex",
        "signal",
        "resource",
        "ctypes",
        "_ctypes",
        "cffi",
        "mmap",
        "faulthandler",
        "readline",
        "curses",
        "tty",
        "termios",
        "sysconfig",
        "pip",
        "ensurepip",
        "venv",
        "distutils",
        "setuptools",
        "pkg_resources",
        "test",
        "tkinter",
        "turtle",
        "mlflow.projects",
        "builtins.exit",
        "builtins.quit",
        "sys",
        "_thread",
        "threading.Thread",
        "atexit",
        "gc",
        "antigravity",
        "turtledemo",  # importing them opens a browser / a GUI
    ),
    "code execution": (
        "builtins.eval",
        "builtins.exec",
        "builtins.compile",
        "builtins.execfile",
        "builtins.apply",
        "builtins.breakpoint",
        "builtins.globals",
        "builtins.locals",
        "builtins.vars",
        "runpy",
        "code",
        "codeop",
        "pdb",
        "bdb",
        "trace",
        "cProfile",
        "profile",
        "pstats",
        "timeit",
        "doctest",
        "idlelib",
        "lib2to3",
        "pydoc",
        "site",
        "rlcompleter",
        "unittest",
        "inspect",
        "numpy.testing",
        "numpy.f2py",
        "numpy.distutils",
        "numpy.ctypeslib",
        "numexpr",
        "IPython",
        "jinja2",
        "mako",
        "string.Formatter",
        "string.Template",
        "dis",
        "ast",
        "symtable",
        "torch.utils.collect_env",
        "torch._inductor",
        "torch._dynamo",
        "torch.fx",
        "torch.jit",
        "torch.utils.bottleneck",
        "torch.utils._config_module",
        "torch.utils.cpp_extension",
        "torch.utils.data.datapipes",
        "torch.package",
        "torch.ops",
        "torch._ops",
        "torch.compile",
        "torch.export",
        "torch.distributed",
        "torch._C",
        "torch.cuda._lazy_init",
        "torch.testing",
        "torch.library",
        "torch._library",
        "torch.backends",
        "torch.autograd.profiler",
        "torch.profiler",
        "keras",
        "tensorflow",
        "tf_keras",
        "jax",
        "triton",
        "torch.utils.benchmark",
        "torch.multiprocessing",
        "torch._vendor",
        "torch._native",
        "transformers.dynamic_module_utils",
        "transformers.utils.import_utils",
    ),
    "importer or name resolver": (
        "builtins.__import__",
        "builtins.getattr",
        "builtins.setattr",
        "builtins.delattr",
        "builtins.hasattr",
        "importlib",
        "imp",
        "pkgutil",
        "zipimport",
        "pydoc.locate",
        "operator",
        "_operator",
        "functools",
        "inspect.getattr_static",
        "types",
        "copyreg.add_extension",
        "copyreg.constructor",
        "copyreg.pickle",
        "_imp",
        "__builtins__",
        "builtins.__loader__",
        "builtins.__spec__",
        "_frozen_importlib",
        "_frozen_importlib_external",
        "weakref",
        "_weakref",
        "itertools",
        "contextlib",
        "abc",
        "typing",
        "collections.abc",
        "copy",
        # string-to-callable resolvers inside torch (a dotted string in, any importable object out)
        "torch._utils._import_dotted_name",
        "torch.nn.attention._fa3",
        "torch.nn.attention._fa4",
        "torch.utils._pytree",
        "torch._logging",
        "torch.nn.utils._deprecation_utils",
        "torch.overrides",
        "torch._classes",
        "torch.classes",
        "transformers.models.auto.auto_factory.getattribute_from_module",
    ),
    "code-object construction": (
        "marshal",
        "types.CodeType",
        "types.FunctionType",
        "types.LambdaType",
        "types.MethodType",
        "cloudpickle",
        "dill",
        "_pickle_compat",
        "opcode",
        "new",
    ),
    "nested deserialiser": (
        "pickle",
        "_pickle",
        "pickletools",
        "shelve",
        "joblib.load",
        "joblib.numpy_pickle.load",
        "joblib.numpy_pickle_utils",
        "torch.load",
        "torch.serialization",
        "torch.storage._load_from_bytes",
        "torch.hub",
        "numpy.load",
        "numpy.lib.npyio",
        "numpy.lib.format",
        "numpy.loads",
        "numpy.core.multiarray.loads",
        "numpy.fromfile",
        "numpy.memmap",
        "numpy.genfromtxt",
        "numpy.loadtxt",
        "pandas.read_pickle",
        "pandas.io",
        "pandas.read_csv",
        "pandas.read_json",
        "pandas.read_html",
        "pandas.read_excel",
        "pandas.read_parquet",
        "pandas.read_sql",
        "pandas.read_table",
        "pandas.read_xml",
        "pandas.read_feather",
        "pandas.read_hdf",
        "pandas.read_fwf",
        "pandas.read_orc",
        "pandas.read_sas",
        "pandas.read_spss",
        "pandas.read_stata",
        "pandas.read_clipboard",
        "pandas.read_gbq",
        "yaml",
        "ruamel",
        "jsonpickle",
        "xmlrpc",
        "zlib",
        "gzip",
        "bz2",
        "lzma",
        "base64",
        "binascii",
        "codecs.decode",
        "_codecs.decode",
        "safetensors.torch.load_file",
        "h5py",
        "tables",
    ),
    "file or network access": (
        "io",
        "_io",
        "shutil",
        "tempfile",
        "glob",
        "fileinput",
        "filecmp",
        "linecache",
        "logging",
        "socket",
        "_socket",
        "ssl",
        "_ssl",
        "socketserver",
        "http",
        "urllib",
        "urllib3",
        "requests",
        "httpx",
        "aiohttp",
        "ftplib",
        "smtplib",
        "smtpd",
        "poplib",
        "nntplib",
        "telnetlib",
        "select",
        "selectors",
        "asynchat",
        "asyncore",
        "tarfile",
        "zipfile",
        "sqlite3",
        "dbm",
        "pathlib.Path",
        "os.path",
        "posixpath",
        "ntpath",
        "fcntl",
        "msvcrt",
        "winreg",
        "_winreg",
        "email",
        "mailbox",
        "xml",
        "plistlib",
        "netrc",
        "ssl.get_server_certificate",
        "paramiko",
        "boto3",
        "botocore",
        "fsspec",
        "huggingface_hub",
        "wandb",
        "builtins.open",
        # framework primitives that write files at a path, map files, or download URLs
        "torch.save",
        "torch.from_file",
        "torch.utils.model_zoo",
        "torch.utils.tensorboard",
        "torch.onnx",
        "torch.utils.data.datapipes",
        "torch.utils.hipify",
        "numpy.save",
        "numpy.savez",
        "numpy.savez_compressed",
        "numpy.savetxt",
        "numpy.DataSource",
        "numpy.lib._datasource",
        "numpy.lib._npyio_impl",
        "numpy.tofile",
        "numpy.ndarray.tofile",
        "numpy.ndarray.dump",
        "numpy.lib.format",
        "scipy.io",
        "pandas.DataFrame.to_pickle",
        "pandas.DataFrame.to_csv",
        "wsgiref",
        "codecs.open",
        "codecs.StreamReaderWriter",
        "pathlib.Path",
        "pathlib.PosixPath.write_text",
        "pathlib.PosixPath.write_bytes",
        "pathlib.PosixPath.touch",
        "pathlib.PosixPath.unlink",
        "pathlib.PosixPath.mkdir",
        "pathlib.PosixPath.open",
        "pathlib.PosixPath.rename",
        "transformers.AutoModel",
        "transformers.pipeline",
        "transformers.utils.hub",
        "safetensors.torch.save_file",
    ),
    "scanner tampering": (
        "picklescan",
        "modelscan",
        "fickling",
        "modelaudit",
        "weighbridge",
        "safety",
        "bandit",
    ),
}

# Names that are dangerous wherever they appear as a component of a dotted path (B1 traversals).
_DANGEROUS_COMPONENTS = frozenset(
    {
        "os",
        "system",
        "popen",
        "exec",
        "eval",
        "compile",
        "execfile",
        "__import__",
        "__builtins__",
        "builtins",
        "__globals__",
        "__subclasses__",
        "__getattribute__",
        "__reduce__",
        "__reduce_ex__",
        "__code__",
        "__class__",
        "__bases__",
        "__mro__",
        "__dict__",
        "__init__",
        "__call__",
        "__getattr__",
        "__setattr__",
        "__loader__",
        "__spec__",
        "subprocess",
        "spawn",
        "getattr",
        "setattr",
        "globals",
        "locals",
        "vars",
        "import_module",
        "loads",
        "load",
        "run",
        "runcode",
        "runsource",
        "open",
        "sys",
        "modules",
        "__self__",
        "__func__",
        "f_globals",
        "f_locals",
        "gi_frame",
        "co_code",
        # file, native-library and network primitives reached as attributes of allowlisted objects
        "from_file",
        "tofile",
        "save",
        "savez",
        "save_pretrained",
        "from_pretrained",
        "push_to_hub",
        "load_library",
        "urlopen",
        "urlretrieve",
        "download",
        "to_pickle",
        "to_csv",
        "write_text",
        "write_bytes",
        "unlink",
        "rmtree",
    }
)

# Name-prefix families (glob patterns over the normalised "module.name"): private C twins of public I/O
# modules, process and shared-memory internals, sub-interpreter and test-harness runners that execute a
# string, uuid's command runners. Reported under their own rule (WB-PKL-015), critical like the families.
_PATTERN_FAMILIES: dict[str, tuple[str, ...]] = {
    "private I/O, database or network twin": (
        "_pyio",
        "_pyio.*",
        "_sqlite3",
        "_sqlite3.*",
        "_dbm.*",
        "_gdbm.*",
        "_ssl.*",
        "_socket.*",
        "_overlapped.*",
        "_msi.*",
        "_bz2.*",
        "_lzma.*",
        "_zlib.*",
        "_compression.*",
        "_tkinter.*",
        "_curses.*",
        "_curses_panel.*",
        "_elementtree.*",
        "_csv.reader",
        "_csv.writer",
    ),
    "private process or interpreter internals": (
        "_posixsubprocess.*",
        "_posixshmem.*",
        "_multiprocessing.*",
        "_bootsubprocess.*",
        "_winapi.*",
        "_signal.*",
        "_asyncio.*",
        "_lsprof.*",
        "_tracemalloc.*",
        "_remote_debugging.*",
        "_sitebuiltins.*",
        "_opcode.*",
        "_ast.*",
        "_symtable.*",
        "_tokenize.*",
        "_testcapi.*",
        "_testinternalcapi.*",
        "_testsinglephase.*",
        "_testmultiphase.*",
        "_testbuffer.*",
        "_testimportmultiple.*",
        "_xxtestfuzz.*",
        "_osx_support.*",
        "_aix_support.*",
        "_uuid.*",
        "uuid._*",
        "_sysconfig*",
        "_android_support.*",
        "_apple_support.*",
        "_ios_support.*",
        "_pydecimal.getcontext",
    ),
    "sub-interpreter or test-harness runner": (
        "_interpreters.*",
        "_xxsubinterpreters.*",
        "_xxinterpchannels.*",
        "_interpchannels.*",
        "_interpqueues.*",
        "_crossinterp.*",
        "interpreters.*",
        "concurrent.interpreters*",
        "test.support*",
        "test.libregrtest*",
        "test.*",
        "unittest.mock*",
        "_pytest.*",
        "pytest.*",
    ),
}

Glob = tuple[str, ...]


def _glob(pattern: str) -> Glob:
    """A name pattern whose only wildcard is ``*``, split at its stars (see ``glob_match``)."""
    return tuple(pattern.split("*"))


def glob_match(glob: Glob, name: str) -> bool:
    """Whether ``name`` matches the whole pattern: each ``*`` stands for any run of characters other than a
    newline (the reading of the regular expressions these patterns were once compiled to; string tests
    cost nothing at import, where a hundred compiled patterns cost milliseconds of every start-up)."""
    if "\n" in name:
        return False  # a newline can only be matched by a star, and stars do not match it
    first = glob[0]
    if len(glob) == 1:
        return name == first
    last = glob[-1]
    if len(name) < len(first) + len(last) or not name.startswith(first) or not name.endswith(last):
        return False
    at, stop = len(first), len(name) - len(last)
    for part in glob[1:-1]:  # the parts between stars, each as early as it fits
        found = name.find(part, at, stop)
        if found < 0:
            return False
        at = found + len(part)
    return True


_PATTERNS: tuple[tuple[Glob, str], ...] = tuple(
    (_glob(pattern), family) for family, patterns in _PATTERN_FAMILIES.items() for pattern in patterns
)

# Namespaces whose members are code the loading process trusts: the standard library and the ML frameworks.
# A function of theirs that a pickle CALLS and that is not on the allowlist is high (it may write files,
# run processes or resolve names — a long tail no denylist keeps up with); a class of a framework that is
# only instantiated stays a medium notice (estimators, TrainingArguments, enums).
TRUSTED_FRAMEWORKS: frozenset[str] = frozenset(
    {
        "torch",
        "torchvision",
        "torchaudio",
        "torchtext",
        "numpy",
        "scipy",
        "pandas",
        "sklearn",
        "joblib",
        "transformers",
        "tokenizers",
        "safetensors",
        "accelerate",
        "datasets",
        "diffusers",
        "peft",
        "timm",
        "sentence_transformers",
        "huggingface_hub",
        "lightning",
        "lightning_fabric",
        "pytorch_lightning",
        "keras",
        "tensorflow",
        "tf_keras",
        "jax",
        "flax",
        "xgboost",
        "lightgbm",
        "catboost",
        "onnx",
        "onnxruntime",
        "optimum",
        "bitsandbytes",
        "deepspeed",
        "fairseq",
        "mlflow",
        "einops",
        "numba",
    }
)
_STDLIB: frozenset[str] = frozenset(sys.stdlib_module_names) | {"builtins", "__builtin__", "copy_reg"}

# Framework functions that unpickle one of their own classes (Cython/pandas reconstructors): calling them
# is instantiation, not an arbitrary call. Glob patterns.
_RECONSTRUCTORS: tuple[Glob, ...] = tuple(
    _glob(p)
    for p in (
        "*.__pyx_unpickle_*",
        "pandas._libs.internals._unpickle_block",
        "pandas.core.internals.blocks.new_block",
        "pandas.core.indexes.base._new_Index",
        "pandas._libs.tslibs.timestamps._unpickle_timestamp",
        "pandas._libs.tslibs.timedeltas._timedelta_unpickle",
        "pandas._libs.tslibs.nattype.__nat_unpickle",
        "pandas.core.arrays.categorical._*",
        "sklearn.*._unpickle*",
        "sklearn.neighbors.*.newObj",
        "sklearn.metrics.*.newObj",  # BinaryTree / DistanceMetric __reduce__
    )
)


def _family_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for family, prefixes in _FAMILIES.items():
        for prefix in prefixes:
            index.setdefault(prefix, family)
    return index


_FAMILY_OF = _family_index()


def normalise_module(module: str) -> str:
    return _MODULE_ALIASES.get(module, module)


def _dangerous_family(qualname: str) -> str | None:
    """Longest-prefix match on dotted components: "asyncio.unix_events.X" matches "asyncio"."""
    parts = qualname.split(".")
    for i in range(len(parts), 0, -1):
        family = _FAMILY_OF.get(".".join(parts[:i]))
        if family is not None:
            return family
    return None


@functools.lru_cache(maxsize=65536)
def classify(module: str, name: str) -> Classification:
    # The unpickler's Python-2 compatibility mapping (fix_imports): ('__builtin__', 'xrange') -> range, ...
    import _compat_pickle  # here: only pickles that import anything need it

    mapped = _compat_pickle.NAME_MAPPING.get((module, name))
    if mapped is not None:
        module, name = mapped
    else:
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
    module = normalise_module(module)
    qualname = f"{module}.{name}"
    if qualname in _SAFE:
        return Classification(Verdict.SAFE, "allowlist", qualname)
    for pattern, pfamily in _PATTERNS:
        if glob_match(pattern, qualname):
            return Classification(Verdict.DANGEROUS, pfamily, qualname, pattern=True)
    family = _dangerous_family(qualname)
    if family is not None:
        return Classification(Verdict.DANGEROUS, family, qualname)
    if "." in name:
        # A dotted attribute path (resolved with getattr chains under protocol >= 4): a traversal.
        components = name.split(".")
        if any(c in _DANGEROUS_COMPONENTS or c.startswith("__") for c in components):
            return Classification(Verdict.DANGEROUS, "attribute traversal", qualname)
        if _dangerous_family(".".join(components)) is not None:
            return Classification(Verdict.DANGEROUS, "attribute traversal", qualname)
    if name.startswith("__") and name.endswith("__") and name not in ("__newobj__", "__newobj_ex__"):
        return Classification(Verdict.DANGEROUS, "attribute traversal", qualname)
    if module == "builtins":
        # Builtin functions outside the allowlist (map, filter, iter, print, open, ...) are call gadgets;
        # capitalised builtins are exception classes, which only construct objects.
        if name[:1].isupper() and "." not in name:
            return Classification(Verdict.SAFE, "builtin exception class", qualname)
        return Classification(Verdict.DANGEROUS, "builtin function outside the allowlist", qualname)
    if any(module.startswith(p) for p in _SAFE_CLASS_PREFIXES) and name[:1].isupper() and "." not in name:
        return Classification(Verdict.SAFE, "allowlist", qualname)
    return Classification(Verdict.UNKNOWN, "not on the allowlist", qualname)


def _looks_like_class(qualname: str) -> bool:
    """CapWords last component (``_Private`` classes too): by Python convention a class, not a function."""
    last = qualname.rsplit(".", 1)[-1].lstrip("_")
    return last[:1].isupper()


@functools.lru_cache(maxsize=65536)
def call_severity(qualname: str) -> str | None:
    """Why calling an off-allowlist (UNKNOWN) global is high, or None when the import notice suffices.

    The standard library: anything called. ML frameworks: functions called (their classes instantiated
    stay notices, and so do their own unpickle helpers). Third-party and user code: a notice.
    """
    top = qualname.split(".", 1)[0]
    if top in _STDLIB:
        return "standard-library callable called outside the allowlist"
    if top in TRUSTED_FRAMEWORKS:
        if _looks_like_class(qualname) or any(glob_match(p, qualname) for p in _RECONSTRUCTORS):
            return None
        return f"{top} function called outside the allowlist"
    return None


# Callables that deserialise a bytes argument: their bytes arguments are analysed as nested pickles.
NESTED_LOADERS = frozenset(
    {
        "pickle.loads",
        "_pickle.loads",
        "pickle._loads",
        "dill.loads",
        "cloudpickle.loads",
        "torch.storage._load_from_bytes",
        "numpy.loads",
        "numpy.core.multiarray.loads",
        "joblib.loads",
        "torch.load",
        "pickle.load",
        "_pickle.load",
    }
)

# Globals that resolve/import an arbitrary name given as a string argument.
RESOLVERS = frozenset(
    {
        "importlib.import_module",
        "builtins.__import__",
        "pkgutil.resolve_name",
        "pydoc.locate",
        "builtins.getattr",
        "inspect.getattr_static",
        "operator.attrgetter",
        "_operator.attrgetter",
        "operator.methodcaller",
        "_operator.methodcaller",
        "importlib.__import__",
        "torch._utils._import_dotted_name",
        "torch.hub._import_module",
        "torch.nn.attention._fa3._fa3_import_module",
        "torch.nn.attention._fa4._fa4_import_module",
        "torch.utils._config_module.install_config_module",
        "numpy.lib.utils.safe_eval",
        "torch.package.package_importer.PackageImporter.import_module",
        "transformers.models.auto.auto_factory.getattribute_from_module",
    }
)

# Allowlisted functions that call (or instantiate, or run the __setstate__ of) one of their arguments:
# qualname -> indexes of those arguments. The argument found on the stack or in the memo is checked as if
# the pickle had called it directly.
HIGHER_ORDER: dict[str, tuple[int, ...]] = {
    "torch._tensor._rebuild_from_type_v2": (0, 1),  # func(*args), then as_subclass(new_type) + setstate
    "torch._utils._rebuild_wrapper_subclass": (0,),
    "copyreg._reconstructor": (0, 1),  # base.__new__(cls, state); base.__init__(obj, state)
    "copyreg.__newobj__": (0,),
    "copyreg.__newobj_ex__": (0,),
    "numpy.core.multiarray._reconstruct": (0,),
    "numpy._core.multiarray._reconstruct": (0,),
    "numpy.random._pickle.__bit_generator_ctor": (0,),  # a class argument is instantiated
    "numpy.random._pickle.__generator_ctor": (0, 1),  # bit_generator_ctor(bit_generator_name)
    "numpy.random._pickle.__randomstate_ctor": (0, 1),
    "numpy.random.__RandomState_ctor": (0, 1),
}

# Families whose call is reported with its arguments as evidence (paths, URLs, library names), and glob
# patterns for the native-library loaders, file mappers and downloaders that sit in other families.
PRIMITIVE_FAMILIES = frozenset(
    {"file or network access", "private I/O, database or network twin", "nested deserialiser"}
)
_PRIMITIVE_PATTERNS: tuple[Glob, ...] = tuple(
    _glob(p)
    for p in (
        "*.load_library",
        "*.from_file",
        "*.from_pretrained",
        "*.save_pretrained",
        "*.push_to_hub",
        "*.tofile",
        "ctypes.*",
        "_ctypes.*",
        "cffi.*",
        "torch.hub.*",
        "torch.utils.cpp_extension.*",
        "*.urlopen",
        "*.urlretrieve",
        "*.download*",
        "mmap.*",
        "os.open",
        "os.mkfifo",
        "os.symlink",
        "os.link",
        "os.truncate",
        "os.remove",
        "os.unlink",
        "os.rename",
        "os.replace",
        "os.makedirs",
        "os.mkdir",
        "os.rmdir",
        "multiprocessing.connection.*",
        "multiprocessing.shared_memory.*",
        "asyncio.start_server",
        "asyncio.open_connection",
    )
)


def is_primitive(cls: Classification) -> bool:
    """A file, native-library or network primitive: its call is reported with the path/URL it gets."""
    return cls.family in PRIMITIVE_FAMILIES or any(glob_match(p, cls.qualname) for p in _PRIMITIVE_PATTERNS)
