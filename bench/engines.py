"""Our numpy/numba U-Net against the engines one would pick to run a small model fast on a
CPU — PyTorch eager, ONNX Runtime and OpenVINO — on the same weights (the torch twin,
exported to ONNX here), the same threads, in alternating blocks.

    pip install -e ".[test,bench]"   then   python -m bench.engines

Rows: one evaluation at batch 1 and 2, with 2 threads and with one (as the game runs it on
2 cores); a guided 50-step DDIM sample and a 1000-step DDPM sample, our sampler loop around
each engine's evaluation. Written to bench/engines.md.
"""

import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).with_name("engines.md")
ENGINES = ("ours", "torch", "onnxruntime", "openvino")


def alternating(fns: dict, repeat=7, rounds=3, warmup=1) -> dict:
    """The median time of each callable, timed in alternating blocks of `repeat` runs."""
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            for _ in range(warmup):
                fn()
            for _ in range(repeat):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def export_onnx(net, batch: int, folder: Path) -> Path:
    """The torch twin's U-Net as ONNX at a fixed batch: inputs x (N, 3, 32, 32), t (N,) and
    the text encoder's context (N, 3, D)."""
    import torch

    class WithContext(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x, t, context):
            return self.net(x, t, context=context)

    context_dim = net.text(torch.zeros((1, 3), dtype=torch.long)).shape[-1]
    inputs = (torch.zeros(batch, 3, 32, 32), torch.full((batch,), 500), torch.zeros(batch, 3, context_dim))
    path = folder / f"unet-b{batch}.onnx"
    torch.onnx.export(WithContext(net).eval(), inputs, str(path), input_names=["x", "t", "context"],
                      output_names=["out"], dynamo=False)
    return path


class Engines:
    """Each engine's evaluation of the same U-Net: call(engine, x, t, cond) → output."""

    def __init__(self, model, twin, threads: int, folder: Path):
        import onnxruntime
        import openvino
        import torch

        torch.set_num_threads(threads)
        self.model, self.twin, self.threads = model, twin, threads
        self.ort, self.ov = {}, {}
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        # its threads would spin for a while after each call and take the next side's core
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        core = openvino.Core()
        for batch in (1, 2):
            path = export_onnx(twin.net, batch, folder)
            self.ort[batch] = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            # f32: on a CPU with AVX-512 BF16 OpenVINO otherwise computes in bfloat16 (off by 2e-2)
            self.ov[batch] = core.compile_model(str(path), "CPU", {"INFERENCE_NUM_THREADS": threads,
                                                                   "PERFORMANCE_HINT": "LATENCY",
                                                                   "INFERENCE_PRECISION_HINT": "f32"})

    def call(self, engine: str, x, t, cond):
        if engine == "ours":
            return self.model(x, t, cond)
        if engine == "torch":
            return self.twin(x, t, cond)
        feeds = {"x": x, "t": np.full(len(x), t, np.int64), "context": np.ascontiguousarray(cond, np.float32)}
        if engine == "onnxruntime":
            return self.ort[len(x)].run(None, feeds)[0]
        return self.ov[len(x)](feeds)[0]


class EngineModel:
    """The shipped model's interface (schedule, settings, prompts) with `engine` evaluating."""

    def __init__(self, engines: Engines, engine: str):
        self.engines, self.engine, self.model = engines, engine, engines.model

    def __getattr__(self, name):
        return getattr(self.model, name)

    def __call__(self, x, t, cond=None):
        cond = self.model.encode_prompt("") if cond is None else cond
        return self.engines.call(self.engine, x, t, np.broadcast_to(cond, (len(x), *cond.shape[1:])))


def rows_for(engines: Engines, label: str) -> list:
    from sim_core.sampling import sample

    model, rng = engines.model, np.random.default_rng(0)
    cond = model.encode_prompt("red star")
    rows = []
    for batch in (1, 2):
        x = rng.standard_normal((batch, 3, 32, 32), dtype=np.float32)
        c = np.repeat(cond, batch, axis=0)
        ours = engines.call("ours", x, 500, c)
        for engine in ENGINES[1:]:  # the same numbers, or the row means nothing
            gap = float(np.abs(engines.call(engine, x, 500, c) - ours).max())
            assert gap < 1e-4, f"{engine} differs from ours by {gap:.2e}"
        times = alternating({e: (lambda e=e, x=x, c=c: engines.call(e, x, 500, c)) for e in ENGINES}, repeat=11)
        rows.append((f"U-Net, batch {batch}, {label}", times))
    x_T = rng.standard_normal((1, 3, 32, 32), dtype=np.float32)
    if engines.threads == 2:
        ddim = {e: (lambda e=e: sample(EngineModel(engines, e), x_T, model.schedule, sampler="ddim", steps=50,
                                       guidance=7.5, cond=cond)) for e in ENGINES}
        # whole samples: the median of several in turns (one of each, as before, moved by 1.6× between runs)
        rows.append((f"DDIM 50 steps, guidance 7.5 (batch 2), {label}", alternating(ddim, repeat=3, rounds=3)))
        ddpm = {e: (lambda e=e: sample(EngineModel(engines, e), x_T, model.schedule, sampler="ddpm", steps=1000,
                                       guidance=1.0, cond=cond, rng=np.random.default_rng(0))) for e in ENGINES}
        rows.append((f"DDPM 1000 steps (batch 1), {label}", alternating(ddpm, repeat=1, rounds=3, warmup=0)))
    return rows


def main():
    import onnxruntime
    import openvino
    import torch
    from sim_core.model import DEFAULT_MODEL, load_model
    from sim_core.threads import set_compute_threads
    from training.evaluate import TorchDenoiser

    model, twin = load_model(), TorchDenoiser(DEFAULT_MODEL)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for threads, label in ((2, "2 threads"), (1, "1 thread (the game's setting on 2 cores)")):
            set_compute_threads(threads)  # numpy's BLAS and our numba kernels
            rows += rows_for(Engines(model, twin, threads, Path(folder)), label)
    lines = ["# Our U-Net against PyTorch, ONNX Runtime and OpenVINO", "",
             f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; numpy {np.__version__}, "
             f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, openvino {openvino.__version__.split('-')[0]}. "
             "Same weights (the torch twin exported to ONNX; outputs equal ours within 1e-4), same threads; medians of "
             "alternating blocks, in seconds.", "",
             "| what | ours | PyTorch | ONNX Runtime | OpenVINO | ours / fastest engine |", "|---|---|---|---|---|---|"]
    for name, times in rows:
        fastest = min(times[e] for e in ENGINES[1:])
        lines.append(f"| {name} | " + " | ".join(f"{times[e]:.4f}" for e in ENGINES) + f" | {times['ours'] / fastest:.2f}× |")
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
