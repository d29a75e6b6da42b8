"""HF Trainer configs: TrainingArguments JSON/YAML, trainer_state.json, the event-file args text."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, shared_path

from lraudit.configs import PARSERS, Units, load_config
from lraudit.errors import ConfigError
from lraudit.schedules import families

REF = json.loads((FIXTURES / "configs" / "hf" / "reference.json").read_text())


def _write(tmp_path: Path, data: dict, name: str = "args.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return p


def _need(family: str) -> None:
    if family not in families():
        pytest.skip(f"family {family!r} not registered yet")


@pytest.mark.parametrize("case", sorted(REF["cases"]))
def test_every_scheduler_type_matches_transformers(tmp_path: Path, case: str) -> None:
    """The intended curve equals transformers 5.23's own LambdaLR at every update index."""
    c = REF["cases"][case]
    args = {
        "learning_rate": REF["learning_rate"],
        "lr_scheduler_type": c["lr_scheduler_type"],
        "warmup_steps": c["warmup_steps"],
        "max_steps": c["max_steps"],
        "lr_scheduler_kwargs": c["lr_scheduler_kwargs"],
        "per_device_train_batch_size": 8,
    }
    intended = load_config(_write(tmp_path, args))
    assert intended.format == "hf"
    assert intended.horizon == c["max_steps"]
    assert intended.expected_tags[0] == "train/learning_rate"
    _need(intended.schedule.family)
    n = c["max_steps"]
    t = np.arange(n)  # the updates that run; t = n is never used
    got = intended.evaluate(t)
    np.testing.assert_allclose(got, np.array(c["lr"][:n]), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize(
    ("warmup", "total", "cycles"), [(0, 150, 3), (20, 200, 3), (37, 1000, 4), (10, 97, 2)]
)
def test_cosine_with_restarts_counts_cycles_from_the_warmup_end(
    tmp_path: Path, warmup: int, total: int, cycles: int
) -> None:
    """get_cosine_with_hard_restarts_schedule_with_warmup of the installed transformers, update by
    update: cycles of (N - W) / c steps from the warmup end (start_step W)."""
    torch = pytest.importorskip("torch")
    optimization = pytest.importorskip("transformers.optimization")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = optimization.get_cosine_with_hard_restarts_schedule_with_warmup(
        opt, num_warmup_steps=warmup, num_training_steps=total, num_cycles=cycles
    )
    want = []
    for _ in range(total):
        want.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    p = _write(
        tmp_path,
        {
            "learning_rate": 0.1,
            "lr_scheduler_type": "cosine_with_restarts",
            "warmup_steps": warmup,
            "max_steps": total,
            "lr_scheduler_kwargs": {"num_cycles": cycles},
        },
    )
    it = load_config(p)
    assert it.schedule.family == "cosine_restarts"
    assert it.schedule.params["start_step"] == warmup
    got = it.evaluate(np.arange(total))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_linear_maps_to_polynomial_with_warmup(tmp_path: Path) -> None:
    args = {
        "learning_rate": 2e-5,
        "lr_scheduler_type": "linear",
        "warmup_ratio": 0.1,
        "max_steps": 1000,
    }
    it = load_config(_write(tmp_path, args))
    d = it.schedule.to_dict()
    assert d["family"] == "polynomial"
    assert d["params"] == {
        "init_lr": 2e-5,
        "end_lr": 0.0,
        "decay_steps": 900,
        "power": 1.0,
        "start_step": 100,
    }
    assert d["warmup"] == {"steps": 100, "start_lr": 0.0, "shape": "linear"}
    assert it.settings["log_step_offset"] == 1
    assert any("ceil(1000 x 0.1) = 100" in a for a in it.assumptions)


def test_transformers5_dump_warmup_steps_below_one_is_a_ratio() -> None:
    it = load_config(FIXTURES / "configs" / "hf" / "training_args_transformers5.json")
    assert it.schedule.family == "cosine"
    assert it.schedule.warmup is not None and it.schedule.warmup.steps == 120  # ceil(2000*0.06)
    assert it.schedule.params["decay_steps"] == 1880
    assert it.horizon == 2000
    assert any("warmup_steps < 1 as a ratio" in a for a in it.assumptions)


def test_epochs_need_steps_per_epoch(tmp_path: Path) -> None:
    args = {"learning_rate": 1e-4, "lr_scheduler_type": "cosine", "num_train_epochs": 3}
    p = _write(tmp_path, args)
    with pytest.raises(ConfigError, match="max_steps.*--steps-per-epoch"):
        load_config(p)
    it = load_config(p, steps_per_epoch=125)
    assert it.horizon == 375
    assert it.schedule.params["decay_steps"] == 375


def test_llama_factory_yaml(config_examples: Path) -> None:
    p = config_examples / "hf" / "llama-factory__examples__train_lora__qwen3_lora_sft.yaml"
    it = load_config(p, steps_per_epoch=125)
    assert it.format == "hf"
    assert it.schedule.family == "cosine"
    assert it.schedule.params["peak_lr"] == pytest.approx(1e-4)  # written 1.0e-4
    assert it.schedule.warmup.steps == math.ceil(375 * 0.1)
    assert it.horizon == 375


def test_axolotl_names(config_examples: Path) -> None:
    p = config_examples / "hf" / "axolotl__examples__llama-3__lora-1b.yml"
    it = load_config(p, format="hf", steps_per_epoch=40)
    assert it.settings["front_end"] == "axolotl"
    assert it.schedule.to_dict()["params"] == {
        "peak_lr": 0.0002,
        "end_lr": 0.0,
        "decay_steps": 30,
        "start_step": 10,
    }
    assert any("sample_packing" in a for a in it.assumptions)


def test_axolotl_min_lr_ratio(tmp_path: Path) -> None:
    p = tmp_path / "axo.yml"
    p.write_text(
        "lr_scheduler: cosine\nlearning_rate: 2e-5\ncosine_min_lr_ratio: 0.1\n"
        "micro_batch_size: 2\nnum_epochs: 1\nmax_steps: 200\n"
    )
    it = load_config(p, format="hf")
    assert it.schedule.params["end_lr"] == pytest.approx(2e-6)


def test_trainer_state_alone(config_examples: Path) -> None:
    """Tashu014: 2e-4 linear, no warmup, 375 steps; the log follows lr(s - 1)."""
    p = config_examples / "hf" / "tashu014-lora-imdb-distilbert__trainer_state.json"
    it = load_config(p)
    assert it.format == "hf"
    assert it.horizon == 375
    assert it.schedule.family == "polynomial"
    assert it.schedule.params["init_lr"] == pytest.approx(2e-4, rel=1e-12)
    assert it.settings["lr_unknown"] == "inferred from log_history"
    assert it.settings["log_step_offset"] == 1
    assert it.settings["steps_per_epoch_from_state"] == 125
    _need("polynomial")
    hist = [e for e in json.loads(p.read_text())["log_history"] if "learning_rate" in e]
    steps = np.array([e["step"] for e in hist])
    logged = np.array([e["learning_rate"] for e in hist])
    np.testing.assert_allclose(it.evaluate(steps - 1), logged, rtol=1e-12)


def test_trainer_state_with_args_dump(tmp_path: Path) -> None:
    ck = tmp_path / "checkpoint-500"
    ck.mkdir()
    (ck / "trainer_state.json").write_text(
        json.dumps(
            {
                "global_step": 500,
                "max_steps": 500,
                "logging_steps": 10,
                "num_train_epochs": 2,
                "log_history": [],
            }
        )
    )
    (tmp_path / "training_args.json").write_text(
        json.dumps(
            {
                "learning_rate": 1e-3,
                "lr_scheduler_type": "constant_with_warmup",
                "warmup_steps": 50,
                "num_train_epochs": 2,
                "max_steps": -1,
            }
        )
    )
    it = load_config(ck / "trainer_state.json")
    assert it.schedule.family == "constant"
    assert it.schedule.warmup.steps == 50
    assert it.horizon == 500
    assert "lr_unknown" not in it.settings


def _args_event(path: Path, args: dict, tag: str = "args/text_summary", wrap: str = "{}") -> Path:
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2

    from lraudit.testing import write_events

    tensor = tensor_pb2.TensorProto(dtype=7, string_val=[wrap.format(json.dumps(args)).encode()])
    meta = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="text")
    )
    ev = event_pb2.Event(
        wall_time=1.0,
        step=0,
        summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=meta)]
        ),
    )
    scalar = event_pb2.Event(
        wall_time=2.0,
        step=10,
        summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag="train/learning_rate", simple_value=1e-3)]
        ),
    )
    return write_events(
        path, [event_pb2.Event(wall_time=0.0, file_version="brain.Event:2"), ev, scalar]
    )


def test_event_file_args_text(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "Nov22_08-00-00_host"
    run.mkdir(parents=True)
    args = {
        "learning_rate": 5e-4,
        "lr_scheduler_type": "linear",
        "warmup_steps": 20,
        "max_steps": 400,
        "num_train_epochs": 3,
        "per_device_train_batch_size": 4,
    }
    f = _args_event(run / "events.out.tfevents.1.host", args)
    parser = PARSERS["hf"]
    assert parser.detect(f, "") >= 1
    for target in (f, run):
        it = parser.parse(target, "", Units())
        assert it.source == str(f)
        assert it.schedule.params == {
            "init_lr": 5e-4,
            "end_lr": 0.0,
            "decay_steps": 380,
            "power": 1.0,
            "start_step": 20,
        }
        assert it.horizon == 400


def test_event_file_finds_trainer_state_for_epochs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = out / "runs" / "x"
    run.mkdir(parents=True)
    f = _args_event(
        run / "events.out.tfevents.2.h",
        {
            "learning_rate": 1e-3,
            "lr_scheduler_type": "cosine",
            "max_steps": -1,
            "num_train_epochs": 2,
            "warmup_ratio": 0.05,
        },
    )
    for n in (100, 300):
        ck = out / f"checkpoint-{n}"
        ck.mkdir()
        (ck / "trainer_state.json").write_text(
            json.dumps({"global_step": n, "max_steps": 300, "log_history": []})
        )
    it = PARSERS["hf"].parse(f, "", Units())
    assert it.horizon == 300
    assert it.schedule.warmup.steps == 15
    assert it.settings["trainer_state"].endswith("checkpoint-300/trainer_state.json")


def test_directory_config_is_not_searched_recursively(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "Nov22_08-00-00_host"
    run.mkdir(parents=True)
    args = {"learning_rate": 5e-4, "lr_scheduler_type": "linear", "max_steps": 400}
    _args_event(run / "events.out.tfevents.1.host", args)
    # the event file two levels down is not this directory's: it is not read
    for target in (tmp_path, tmp_path / "runs"):
        with pytest.raises(ConfigError) as err:
            load_config(target)
        assert str(err.value) == (
            f"{target}: is a directory with no Hugging Face `args` text summary; pass the "
            "config file itself"
        )
    # an event file without `args` directly in the directory: the same answer
    _args_event(tmp_path / "events.out.tfevents.9.h", {"x": 1}, tag="other")
    with pytest.raises(ConfigError, match="is a directory with no Hugging Face `args`"):
        load_config(tmp_path)
    assert load_config(run).source == str(run / "events.out.tfevents.1.host")


def test_event_file_without_args(tmp_path: Path) -> None:
    f = _args_event(tmp_path / "events.out.tfevents.3.h", {"x": 1}, tag="other")
    with pytest.raises(ConfigError, match="no 'args' text summary"):
        PARSERS["hf"].parse(f, "", Units())


class _Boom:
    def __reduce__(self):  # what a malicious training_args.bin would carry
        return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("protocol", [0, 4])
def test_training_args_bin_is_never_unpickled(tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "executed"
    boom = _Boom()
    boom.marker = str(marker)  # type: ignore[attr-defined]
    p = tmp_path / "training_args.bin"
    p.write_bytes(pickle.dumps(boom, protocol=protocol))
    for fmt in ("auto", "hf"):
        with pytest.raises(ConfigError, match="never unpickles") as exc:
            load_config(p, format=fmt)
        assert "trainer_state.json" in str(exc.value)
    assert not marker.exists()


def test_unknown_scheduler_is_named(tmp_path: Path) -> None:
    p = _write(tmp_path, {"learning_rate": 1e-3, "lr_scheduler_type": "greedy", "max_steps": 9})
    with pytest.raises(ConfigError, match=r"lr_scheduler_type: unknown .*'greedy'"):
        load_config(p)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ({"lr_scheduler_type": "cosine", "lr_scheduler_kwargs": {"num_cycles": 1.0}}, "num_cycles"),
        ({"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {}}, "exactly one"),
        (
            {
                "lr_scheduler_type": "cosine_with_restarts",
                "warmup_steps": 5,
                "lr_scheduler_kwargs": {"num_cycles": 0},
            },
            "num_cycles: cosine_with_restarts needs a positive number of cycles",
        ),
        (
            {"lr_scheduler_type": "linear", "learning_rate": "fast"},
            "learning_rate: expected a number",
        ),
        ({"lr_scheduler_type": "linear", "lr_scheduler_kwargs": "{oops"}, "not valid JSON"),
        ({"lr_scheduler_type": "warmup_stable_decay"}, "num_decay_steps"),
        ({"lr_scheduler_type": "inverse_sqrt"}, "timescale 10,000 and 0 warmup steps"),
        (
            {
                "lr_scheduler_type": "inverse_sqrt",
                "warmup_steps": 10,
                "lr_scheduler_kwargs": {"timescale": 50},
            },
            "timescale equals warmup_steps",
        ),
    ],
)
def test_bad_configs_name_file_and_key(tmp_path: Path, args: dict, match: str) -> None:
    p = _write(tmp_path, {"learning_rate": 1e-3, "max_steps": 100, **args})
    with pytest.raises(ConfigError, match=match) as exc:
        load_config(p, format="hf")
    assert str(p) in str(exc.value)


def test_constant_ignores_warmup_and_says_so(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        {
            "learning_rate": 1e-3,
            "lr_scheduler_type": "constant",
            "warmup_steps": 30,
            "max_steps": 100,
        },
    )
    it = load_config(p)
    assert it.schedule.warmup is None
    assert it.settings["ignored_warmup_steps"] == 30


def test_plateau_cannot_be_checked(tmp_path: Path) -> None:
    p = _write(tmp_path, {"learning_rate": 1e-3, "lr_scheduler_type": "reduce_lr_on_plateau"})
    it = load_config(p)
    assert it.schedule.family == "constant"
    assert it.metric_driven is not None and it.metric_driven.scheduler == "reduce_lr_on_plateau"


def test_trainer_state_real_is_shared() -> None:
    shared_path("config-examples", "hf")


def test_event_args_in_code_fence_and_truncated_tail(tmp_path: Path) -> None:
    args = {"learning_rate": 1e-3, "lr_scheduler_type": "constant", "max_steps": 10}
    f = _args_event(tmp_path / "events.out.tfevents.4.h", args, wrap="```json\n{}\n```")
    with f.open("ab") as fh:
        fh.write(b"\x10\x00\x00")  # a record cut short by a crash
    it = PARSERS["hf"].parse(f, "", Units())
    assert it.schedule.to_dict()["params"] == {"lr": 1e-3}
