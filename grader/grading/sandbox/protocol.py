"""The value protocol between the grader and the sandboxed child: plain data only, bounded, never code.

A frame is a 4-byte big-endian length followed by one msgpack document. Besides msgpack's own types
(None, bool, int, float, str, bytes, list, dict) three extension types cross the boundary:

- a torch tensor: dtype name, shape and raw little-endian bytes;
- a numpy array: the same, rebuilt as an ndarray;
- a handle: the integer id of an object that stays in the child (a module, a model, an agent).

Decoding checks what it is given before it builds anything: frame size, dtype against an allow-list,
shape against the byte count, nesting depth and element counts. A violation raises `ProtocolViolation`
with a sentence that says what was wrong; nothing is ever unpickled.

This file is copied verbatim into the sandbox as `_sandbox_protocol.py`, so it imports nothing from the
grader package.
"""

from __future__ import annotations

import struct
from typing import Any

import msgpack
import numpy as np

MAX_FRAME_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 32
MAX_ITEMS = 1_000_000
MAX_NDIM = 16

EXT_TENSOR = 1
EXT_NDARRAY = 2
EXT_HANDLE = 3

_HEADER = struct.Struct(">I")

TORCH_DTYPES = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "bool",
)
NUMPY_DTYPES = (
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint16",
    "uint32",
    "uint64",
    "bool",
)


class ProtocolViolation(Exception):
    """A frame that does not follow the protocol: too big, too deep, an unknown type or a lying shape."""


class Handle:
    """A reference to an object that lives in the child process."""

    __slots__ = ("id",)

    def __init__(self, handle_id: int) -> None:
        self.id = int(handle_id)

    def __repr__(self) -> str:
        return f"Handle({self.id})"

    def __eq__(self, other: object) -> bool:
        return type(other) is Handle and other.id == self.id

    def __hash__(self) -> int:
        return hash(("Handle", self.id))


class Unencodable(TypeError):
    """A value that has no plain-data form (an arbitrary object)."""


def _torch():
    import torch

    return torch


def _tensor_to_ext(tensor: Any) -> msgpack.ExtType:
    torch = _torch()
    name = str(tensor.dtype).removeprefix("torch.")
    if name not in TORCH_DTYPES:
        raise Unencodable(f"a tensor of dtype {tensor.dtype} cannot be sent")
    flat = tensor.detach().to("cpu").contiguous().reshape(-1)
    raw = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
    return msgpack.ExtType(EXT_TENSOR, msgpack.packb([name, list(tensor.shape), raw], use_bin_type=True))


def _ndarray_to_ext(array: np.ndarray) -> msgpack.ExtType:
    name = array.dtype.name
    if name not in NUMPY_DTYPES or array.dtype.byteorder == ">":
        raise Unencodable(f"an array of dtype {array.dtype} cannot be sent")
    raw = np.ascontiguousarray(array).tobytes()
    return msgpack.ExtType(EXT_NDARRAY, msgpack.packb([name, list(array.shape), raw], use_bin_type=True))


def _default(value: Any) -> Any:
    if isinstance(value, Handle):
        return msgpack.ExtType(EXT_HANDLE, msgpack.packb(value.id))
    if isinstance(value, np.ndarray):
        return _ndarray_to_ext(value)
    if isinstance(value, np.generic):
        return value.item()
    module = type(value).__module__
    if module.startswith("torch"):
        torch = _torch()
        if isinstance(value, torch.Tensor):
            return _tensor_to_ext(value)
        if isinstance(value, torch.Size):
            return list(value)
        if isinstance(value, torch.dtype):
            return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise Unencodable(f"an object of type {type(value).__qualname__} has no plain-data form")


def encode(value: Any) -> bytes:
    """One frame (header + msgpack) for `value`; raises `Unencodable` for objects."""
    try:
        # surrogatepass: a str may hold lone surrogates ("a\ud83db" is a valid Python str, and tokenizers are
        # tested on it); strict UTF-8 could not carry it across.
        body = msgpack.packb(
            value, default=_default, use_bin_type=True, strict_types=False, unicode_errors="surrogatepass"
        )
    except Unencodable:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise Unencodable(str(exc)) from None
    if len(body) > MAX_FRAME_BYTES:
        raise Unencodable(f"the value is {len(body)} bytes, more than the {MAX_FRAME_BYTES} allowed")
    return _HEADER.pack(len(body)) + body


def _checked_array_parts(data: bytes, allowed: tuple[str, ...], kind: str) -> tuple[str, list[int], bytes]:
    try:
        parts = msgpack.unpackb(data, raw=False, max_bin_len=MAX_FRAME_BYTES, max_array_len=MAX_NDIM + 3)
    except Exception as exc:
        raise ProtocolViolation(f"a {kind} could not be decoded: {exc}") from None
    if not (isinstance(parts, list) and len(parts) == 3):
        raise ProtocolViolation(f"a {kind} header is malformed")
    name, shape, raw = parts
    if name not in allowed:
        raise ProtocolViolation(f"a {kind} has dtype {name!r}, which is not allowed")
    if not (isinstance(shape, list) and len(shape) <= MAX_NDIM):
        raise ProtocolViolation(f"a {kind} has a malformed shape")
    if not all(type(n) is int and 0 <= n < 2**40 for n in shape):
        raise ProtocolViolation(f"a {kind} has a malformed shape {shape!r}")
    if not isinstance(raw, bytes):
        raise ProtocolViolation(f"a {kind} carries no raw bytes")
    return name, shape, raw


def _ext_hook(code: int, data: bytes) -> Any:
    if code == EXT_HANDLE:
        handle_id = msgpack.unpackb(data)
        if type(handle_id) is not int:
            raise ProtocolViolation("a handle is not an integer")
        return Handle(handle_id)
    if code == EXT_NDARRAY:
        name, shape, raw = _checked_array_parts(data, NUMPY_DTYPES, "numpy array")
        dtype = np.dtype(name)
        if len(raw) != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
            raise ProtocolViolation(f"a numpy array of shape {tuple(shape)} carries {len(raw)} bytes")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if code == EXT_TENSOR:
        torch = _torch()
        name, shape, raw = _checked_array_parts(data, TORCH_DTYPES, "tensor")
        dtype = getattr(torch, name)
        itemsize = torch.empty((), dtype=dtype).element_size()
        count = int(np.prod(shape, dtype=np.int64))
        if len(raw) != count * itemsize:
            raise ProtocolViolation(f"a tensor of shape {tuple(shape)} carries {len(raw)} bytes")
        if count == 0:
            return torch.empty(shape, dtype=dtype)
        return torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(shape)
    raise ProtocolViolation(f"unknown extension type {code}")


def _check_shape_of(value: Any, depth: int = 0, budget: list[int] | None = None) -> None:
    if budget is None:
        budget = [MAX_ITEMS]
    if depth > MAX_DEPTH:
        raise ProtocolViolation(f"the value is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, (list, tuple)):
        budget[0] -= len(value)
        if budget[0] < 0:
            raise ProtocolViolation(f"the value holds more than {MAX_ITEMS} items")
        for item in value:
            _check_shape_of(item, depth + 1, budget)
    elif isinstance(value, dict):
        budget[0] -= len(value)
        if budget[0] < 0:
            raise ProtocolViolation(f"the value holds more than {MAX_ITEMS} items")
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                raise ProtocolViolation(f"a dict key of type {type(key).__name__} is not allowed")
            _check_shape_of(item, depth + 1, budget)


def decode(body: bytes) -> Any:
    """Decode one frame body, checking bounds; raises `ProtocolViolation`."""
    if len(body) > MAX_FRAME_BYTES:
        raise ProtocolViolation(f"a frame of {len(body)} bytes is larger than allowed")
    try:
        value = msgpack.unpackb(
            body,
            raw=False,
            unicode_errors="surrogatepass",
            ext_hook=_ext_hook,
            strict_map_key=False,
            max_bin_len=MAX_FRAME_BYTES,
            max_str_len=64 * 1024 * 1024,
            max_array_len=MAX_ITEMS,
            max_map_len=MAX_ITEMS,
            max_ext_len=MAX_FRAME_BYTES,
        )
    except ProtocolViolation:
        raise
    except Exception as exc:
        raise ProtocolViolation(f"a frame could not be decoded ({type(exc).__name__}: {exc})") from None
    _check_shape_of(value)
    return value


def frame_length(header: bytes) -> int:
    """The body length announced by a 4-byte header."""
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise ProtocolViolation(f"a frame announces {length} bytes, more than the {MAX_FRAME_BYTES} allowed")
    return length


HEADER_SIZE = _HEADER.size
