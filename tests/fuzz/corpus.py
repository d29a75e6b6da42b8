"""A valid event file with every layout the reader meets, and mutations of it, for fuzzing."""

from __future__ import annotations

import random

from lraudit import testing as lt
from lraudit.testing import frame


def events() -> list[bytes]:
    """Serialized events: single and multi-value, simple and tensor, images, histograms, logs."""
    from tensorboard.compat.proto import event_pb2, tensor_pb2, types_pb2

    out = [event_pb2.Event(wall_time=1.0, file_version="brain.Event:2")]
    for i in range(12):
        kind = ["simple", "tensor", "tensor_content", "double"][i % 4]
        out.append(lt.scalar_event("lr", i, 0.1 / (i + 1), 10.0 + i, kind))
        if i % 3 == 0:  # a merged event (TF1 merge_all, add_scalars, Keras): several values
            e = lt.scalar_event("loss", i, 2.0 - i / 10, 10.5 + i, "simple")
            e.summary.value.add(tag="train/learning_rate").simple_value = 0.01 * i
            e.summary.value.add(tag="acc").simple_value = i / 12
            out.append(e)
    e = event_pb2.Event(wall_time=30.0, step=12)
    e.summary.value.add(tag="img").image.encoded_image_string = b"\x89PNG" * 40
    e.summary.value.add(tag="lr").simple_value = 0.5
    out.append(e)
    e = event_pb2.Event(wall_time=31.0, step=12)
    e.summary.value.add(tag="hist").histo.bucket.extend([1, 2, 3])
    out.append(e)
    e = event_pb2.Event(wall_time=32.0, step=12)
    e.session_log.status = event_pb2.SessionLog.START
    out.append(e)
    e = lt.scalar_event("vec", 13, 0.0, 33.0, "tensor")
    e.summary.value[0].tensor.CopyFrom(
        tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0, 2.0])
    )
    e.summary.value[0].tensor.tensor_shape.dim.add(size=2)
    out.append(e)
    out.append(lt.scalar_event("lr", 14, 0.25, 34.0, "simple"))
    return [x.SerializeToString() for x in out]


def mutate_payload(p: bytes, rng: random.Random) -> bytes:
    """One to three byte flips, deletions or insertions in ``p``."""
    b = bytearray(p)
    for _ in range(rng.randint(1, 3)):
        if not b:
            break
        j = rng.randrange(len(b))
        op = rng.random()
        if op < 0.6:
            b[j] = rng.randrange(256)
        elif op < 0.8:
            del b[j]
        else:
            b.insert(j, rng.randrange(256))
    return bytes(b)


def mutate_file(payloads: list[bytes], rng: random.Random) -> tuple[bytes, int | None]:
    """A damaged file and the offset of its first damaged byte (None: CRC-valid re-framing).

    Half the cases change payloads and re-frame them (valid CRCs: the decoders must agree);
    the rest damage the framed bytes (flips, a huge length, truncation): the records before
    the first damaged byte must all come back.
    """
    recs = [frame(p) for p in payloads]
    if rng.random() < 0.5:
        ps = list(payloads)
        for _ in range(rng.randint(1, 3)):
            k = rng.randrange(len(ps))
            ps[k] = mutate_payload(ps[k], rng)
        return b"".join(frame(p) for p in ps), None
    buf = bytearray(b"".join(recs))
    op = rng.random()
    if op < 0.4:
        at = rng.randrange(len(buf))
        buf[at] ^= 1 << rng.randrange(8)
    elif op < 0.6:  # a length field claiming up to 2**64 - 1 bytes
        k = rng.randrange(len(recs))
        at = sum(len(r) for r in recs[:k])
        buf[at : at + 8] = rng.choice([2**63, 2**64 - 1, 2**32, len(buf)]).to_bytes(8, "little")
    else:  # truncation, often inside the last record
        last = len(buf) - len(recs[-1])
        at = rng.randrange(last, len(buf)) if rng.random() < 0.7 else rng.randrange(len(buf))
        del buf[at:]
    return bytes(buf), at


def records_before(payloads: list[bytes], at: int) -> int:
    """How many whole records end before byte ``at``."""
    n, off = 0, 0
    for p in payloads:
        off += len(p) + 16
        if off > at:
            break
        n += 1
    return n
