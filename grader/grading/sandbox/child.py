"""The program that runs inside the sandbox: it imports student code and answers the grader's requests.

It is copied into the sandbox as `_sandbox_child.py` beside `_sandbox_protocol.py` and started as
`python -s -u _sandbox_child.py REQUEST_FD RESPONSE_FD WORK_DIR`. Everything here is untrusted once
student code has run: the grader treats every answer as data to check, never as a verdict.

Requests are dicts with an "op"; answers are {"ok": True, "value": ...} or
{"ok": False, "error": {"type", "message", "traceback"}}.
"""

from __future__ import annotations

import importlib
import os
import random
import sys
import traceback
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _sandbox_protocol as protocol

MAX_MESSAGE = 2000
MAX_TRACEBACK = 6000


class RequestError(Exception):
    """A request the child cannot serve (an unknown handle or op): the grader's mistake or a forged frame."""


def read_exact(fd: int, count: int) -> bytes | None:
    chunks = []
    while count:
        chunk = os.read(fd, min(count, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def safe_str(value: Any, limit: int = MAX_MESSAGE) -> str:
    try:
        text = str(value)
    except Exception:
        text = f"<{type(value).__name__} whose str() failed>"
    return text if len(text) <= limit else text[:limit] + " ..."


class Child:
    def __init__(self, work_dir: str) -> None:
        self.work_dir = work_dir
        self.objects: dict[int, Any] = {}
        self.device = os.environ.get("GRADER_DEVICE", "cpu")
        self.next_handle = 1

    # -- helpers --------------------------------------------------------------------------------
    def keep(self, obj: Any) -> protocol.Handle:
        handle = protocol.Handle(self.next_handle)
        self.objects[handle.id] = obj
        self.next_handle += 1
        return handle

    def resolve(self, value: Any) -> Any:
        if isinstance(value, protocol.Handle):
            if value.id not in self.objects:
                raise RequestError(f"no object with handle {value.id}")
            return self.objects[value.id]
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    def on_device(self, value: Any) -> Any:
        """Tensors moved to the grading device (answers come back to the CPU through the protocol)."""
        if self.device == "cpu":
            return value
        import torch

        if isinstance(value, torch.Tensor):
            return value.to(self.device)
        if isinstance(value, list):
            return [self.on_device(item) for item in value]
        if isinstance(value, dict):
            return {key: self.on_device(item) for key, item in value.items()}
        return value

    def target(self, spec: dict) -> Any:
        if "module" in spec:
            obj = importlib.import_module(spec["module"])
        else:
            obj = self.resolve(protocol.Handle(spec["handle"]))
        for part in filter(None, (spec.get("attr") or "").split(".")):
            obj = getattr(obj, part)
        return obj

    # -- ops ------------------------------------------------------------------------------------
    def op_ping(self, request: dict) -> Any:
        return "pong"

    def op_seed(self, request: dict) -> Any:
        import numpy as np
        import torch

        seed = int(request["seed"])
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)
        self.objects.clear()
        return None

    def op_generator(self, request: dict) -> Any:
        import torch

        return self.keep(torch.Generator().manual_seed(int(request["seed"])))

    def op_import(self, request: dict) -> Any:
        importlib.import_module(request["module"])
        return None

    def op_has(self, request: dict) -> Any:
        module = importlib.import_module(request["module"])
        return hasattr(module, request["name"])

    def op_call(self, request: dict) -> Any:
        import torch

        function = self.target(request["target"])
        args = self.on_device(self.resolve(list(request.get("args", []))))
        kwargs = self.on_device(self.resolve(dict(request.get("kwargs", {}))))
        grad = request.get("grad")
        if grad is None:
            result = function(*args, **kwargs)
        else:
            for index in grad.get("args", []):
                args[index] = args[index].detach().clone().requires_grad_(True)
            for name in grad.get("kwargs", []):
                kwargs[name] = kwargs[name].detach().clone().requires_grad_(True)
            owner = (
                self.resolve(protocol.Handle(request["target"]["handle"]))
                if "handle" in request["target"]
                else None
            )
            parameters = dict(owner.named_parameters()) if isinstance(owner, torch.nn.Module) else {}
            for parameter in parameters.values():
                parameter.grad = None
            result = function(*args, **kwargs)
            output = result if grad.get("output") is None else result[grad["output"]]
            if not isinstance(output, torch.Tensor):
                raise TypeError(f"expected a tensor to differentiate, got {type(output).__name__}")
            output.backward(grad["grad_output"].to(device=output.device, dtype=output.dtype))
            result = {
                "value": result,
                "args": [args[index].grad for index in grad.get("args", [])],
                "kwargs": {name: kwargs[name].grad for name in grad.get("kwargs", [])},
                "params": {name: p.grad for name, p in parameters.items()},
            }
        if request.get("keep"):
            if isinstance(result, torch.nn.Module) and self.device != "cpu":
                result = result.to(self.device)
            return self.keep(result)
        if request.get("discard"):
            return None
        return result

    def op_getattr(self, request: dict) -> Any:
        value = self.target({"handle": request["handle"], "attr": request["name"]})
        return self.keep(value) if request.get("keep") else value

    def op_state_dict(self, request: dict) -> Any:
        module = self.resolve(protocol.Handle(request["handle"]))
        return {name: tensor.detach() for name, tensor in module.state_dict().items()}

    def op_load_state_dict(self, request: dict) -> Any:
        module = self.resolve(protocol.Handle(request["handle"]))
        outcome = module.load_state_dict(request["state"], strict=bool(request.get("strict", True)))
        return {"missing": list(outcome.missing_keys), "unexpected": list(outcome.unexpected_keys)}

    # -- loop -----------------------------------------------------------------------------------
    def student_traceback(self, exc: BaseException) -> str:
        frames = [
            frame
            for frame in traceback.extract_tb(exc.__traceback__)
            if frame.filename.startswith(self.work_dir)
        ]
        for frame in frames:
            frame.filename = os.path.relpath(frame.filename, self.work_dir)
        lines = traceback.format_list(frames)
        text = "".join(lines) + f"{type(exc).__name__}: {safe_str(exc)}"
        return text[-MAX_TRACEBACK:]

    def answer(self, request: Any) -> dict:
        if not isinstance(request, dict) or not hasattr(self, f"op_{request.get('op')}"):
            return {"ok": False, "error": {"type": "RequestError", "message": "malformed request"}}
        try:
            value = getattr(self, f"op_{request['op']}")(request)
        except RequestError as exc:
            return {"ok": False, "error": {"type": "RequestError", "message": safe_str(exc)}}
        except BaseException as exc:  # student code may raise anything, SystemExit included
            return {
                "ok": False,
                "error": {
                    "type": type(exc).__name__,
                    "message": safe_str(exc),
                    "traceback": self.student_traceback(exc),
                    "memory": isinstance(exc, MemoryError) or "can't allocate memory" in safe_str(exc),
                },
            }
        return {"ok": True, "value": value}

    def serve(self, request_fd: int, response_fd: int) -> None:
        while True:
            header = read_exact(request_fd, protocol.HEADER_SIZE)
            if header is None:
                return
            body = read_exact(request_fd, protocol.frame_length(header))
            if body is None:
                return
            response = self.answer(protocol.decode(body))
            try:
                frame = protocol.encode(response)
            except protocol.Unencodable as exc:
                what = type(response.get("value")).__name__
                frame = protocol.encode(
                    {
                        "ok": False,
                        "error": {
                            "type": "Unencodable",
                            "message": f"your code returned a value the grader cannot read ({what}): "
                            f"{safe_str(exc)}",
                        },
                    }
                )
            write_all(response_fd, frame)


def main() -> None:
    request_fd, response_fd, work_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    os.chdir(work_dir)
    sys.path.append(work_dir)
    import torch

    torch.set_num_threads(int(os.environ.get("GRADER_THREADS", "1")))
    Child(os.path.realpath(work_dir)).serve(request_fd, response_fd)


if __name__ == "__main__":
    main()
