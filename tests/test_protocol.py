"""The value protocol: what crosses from the sandbox is bounded plain data, checked before it is built."""

import msgpack
import numpy as np
import pytest
import torch

from grader.grading.sandbox import protocol


def roundtrip(value):
    frame = protocol.encode(value)
    length = protocol.frame_length(frame[: protocol.HEADER_SIZE])
    return protocol.decode(frame[protocol.HEADER_SIZE : protocol.HEADER_SIZE + length])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.int64, torch.bool])
def test_tensors_roundtrip_with_dtype_and_shape(dtype):
    tensor = (torch.randn(3, 4, 5) * 10).to(dtype)
    back = roundtrip(tensor)
    assert back.dtype == dtype and back.shape == tensor.shape
    assert torch.equal(back, tensor)


def test_empty_and_scalar_tensors_roundtrip():
    assert roundtrip(torch.empty(0, 3)).shape == (0, 3)
    assert roundtrip(torch.tensor(2.5)).item() == 2.5


def test_tensors_that_require_grad_are_sent_detached():
    back = roundtrip(torch.ones(2, requires_grad=True) * 3)
    assert not back.requires_grad and back.tolist() == [3.0, 3.0]


def test_nested_plain_values_and_numpy_roundtrip():
    value = {"a": [1, 2.5, None, True, "x"], "b": np.arange(6).reshape(2, 3), 3: b"raw"}
    back = roundtrip(value)
    assert back["a"] == [1, 2.5, None, True, "x"] and back[3] == b"raw"
    assert np.array_equal(back["b"], value["b"])


def test_strings_with_lone_surrogates_roundtrip():
    """A Python str may hold surrogates (hw3 encodes "a\\ud83db" as tiktoken does); they cross unchanged."""
    value = ["a\ud83db", {"key\udc00": "\ud83d\ude00"}]
    assert roundtrip(value) == value


def test_handles_roundtrip():
    assert roundtrip([protocol.Handle(7)]) == [protocol.Handle(7)]


def test_objects_are_refused():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    with pytest.raises(protocol.Unencodable, match="AlwaysEqual"):
        protocol.encode(AlwaysEqual())


def test_a_tensor_whose_shape_lies_about_its_bytes_is_rejected():
    forged = msgpack.ExtType(protocol.EXT_TENSOR, msgpack.packb(["float32", [1000, 1000], b"\0" * 16]))
    with pytest.raises(protocol.ProtocolViolation, match="carries 16 bytes"):
        protocol.decode(msgpack.packb(forged))


def test_an_unknown_dtype_is_rejected():
    forged = msgpack.ExtType(protocol.EXT_NDARRAY, msgpack.packb(["object", [1], b"\0" * 8]))
    with pytest.raises(protocol.ProtocolViolation, match="not allowed"):
        protocol.decode(msgpack.packb(forged))


def test_an_unknown_extension_type_is_rejected():
    with pytest.raises(protocol.ProtocolViolation, match="unknown extension"):
        protocol.decode(msgpack.packb(msgpack.ExtType(42, b"pickle?")))


def test_deep_nesting_is_rejected():
    value = []
    for _ in range(protocol.MAX_DEPTH + 5):
        value = [value]
    with pytest.raises(protocol.ProtocolViolation, match="nested"):
        protocol.decode(msgpack.packb(value))


def test_an_oversized_frame_header_is_rejected():
    with pytest.raises(protocol.ProtocolViolation, match="more than"):
        protocol.frame_length((protocol.MAX_FRAME_BYTES + 1).to_bytes(4, "big"))


def test_garbage_is_rejected_with_a_message():
    with pytest.raises(protocol.ProtocolViolation, match="could not be decoded"):
        protocol.decode(b"\xc1\xc1\xc1")
