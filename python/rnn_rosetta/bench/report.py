"""The terminal report (rich): one table per dtype and thread count, growth, fwd+bwd, bridges, fixtures, goals.

Times are the median seconds per forward call with the spread (IQR / median)
beside them; ``n/a`` cells are explained below the tables; a red cross marks
a contender whose final state disagreed with the reference peer's.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from rnn_rosetta.bench.goals import Document

STATUS_STYLE = {"PASS": "bold green", "MISS": "bold red", "INCOMPLETE": "yellow", "N/A": "dim"}
#: The ratio and roofline columns of the main tables: (header, what it is).
EXTRA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("c/peer", "C's time over the best peer's (PyTorch either path, ONNX Runtime, numpy)"),
    ("java/c", "Java's time over C's"),
    ("numpy/native", "numpy's time over PyTorch native (oneDNN off)"),
    ("c roof", "C's roofline efficiency: floor / time (1 thread, needs the C probes)"),
    ("c GF/s", "C's GFLOP/s (input + recurrent products)"),
)
#: Other processes using more than this many cores on average during a worker's run get a warning.
BUSY_LOAD = 0.2
#: Reasons longer than this are cut in the terminal (bench.json has them whole).
REASON_WIDTH = 110


def short(text: str, width: int = REASON_WIDTH) -> str:
    """The first line of ``text``, cut to ``width`` characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 3] + "..."


def fmt_seconds(seconds: float) -> str:
    """3 significant digits in s, ms, µs or ns."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _contenders(document: Document) -> list[str]:
    return list(document["plan"]["contenders"])


def _time_text(cell: dict[str, Any] | None, key: str = "median_s", divide: float = 1.0) -> str:
    if cell is None:
        return ""
    if cell["status"] == "n/a":
        return "[dim]n/a[/]"
    if cell["status"] != "ok":
        return "[red]error[/]"
    text = f"{fmt_seconds(cell[key] / divide)} [dim]±{cell['spread'] * 100:.0f}%[/]"
    if not cell.get("check", {}).get("ok", True):
        text += " [red]✗[/]"
    return text


def _number(value: float | None, unit: str = "", digits: str = ".2f") -> str:
    return "" if value is None else f"{value:{digits}}{unit}"


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> float | None:
    if a is None or b is None or a["status"] != "ok" or b["status"] != "ok":
        return None
    return float(a["median_s"] / b["median_s"])


def _index(document: Document) -> dict[tuple[str, str, int, str], dict[str, Any]]:
    return {(c["shape"], c["dtype"], c["threads"], c["contender"]): c for c in document["cells"]}


def _extra_columns(document: Document) -> tuple[tuple[str, str], ...]:
    """The ratio columns, and the roofline ones unless only fixtures were run (no roofline for those)."""
    if all(shape["group"] == "fixture" for shape in document["shapes"]):
        return EXTRA_COLUMNS[:3]
    return EXTRA_COLUMNS


def main_table(document: Document, dtype: str, threads: int) -> Table:
    """Shapes x contenders at one dtype and thread count, with the ratios and the roofline of C."""
    cells, names = _index(document), _contenders(document)
    plural = "" if threads == 1 else "s"
    title = f"{dtype}, {threads} thread{plural}: median time per forward call (±IQR/median)"
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column("shape")
    for name in names:
        table.add_column(name, justify="right")
    extra = _extra_columns(document)
    for column, _ in extra:
        table.add_column(column, justify="right")
    for shape in document["shapes"]:
        if shape["group"] == "growth":
            continue
        row = {name: cells.get((shape["name"], dtype, threads, name)) for name in names}
        c = row.get("c") or {}
        ratios = (
            _number(c.get("ratio_to_best_peer"), "x"),
            _number(_ratio(row.get("java"), row.get("c")), "x"),
            _number(_ratio(row.get("numpy"), row.get("torch-native")), "x"),
            _number(c.get("roofline_efficiency")),
            _number(c.get("gflops"), digits=".3g"),
        )
        table.add_row(shape["name"], *(_time_text(row[name]) for name in names), *ratios[: len(extra)])
    return table


def growth_table(document: Document, dtype: str, threads: int) -> Table | None:
    """Time per step across T and B (LSTM 256): flat in T means no hidden per-step cost."""
    shapes = [s for s in document["shapes"] if s["group"] == "growth" or s["name"] == "lstm-256-1-150"]
    if not any(s["group"] == "growth" for s in shapes):
        return None
    shapes.sort(key=lambda s: (s["batch"], s["steps"]))
    cells, names = _index(document), _contenders(document)
    plural = "" if threads == 1 else "s"
    title = f"growth, {dtype}, {threads} thread{plural}: median time per step (LSTM 256; flat in T is good)"
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column("T", justify="right")
    table.add_column("B", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    for shape in shapes:
        row = [cells.get((shape["name"], dtype, threads, name)) for name in names]
        per_step = (_time_text(c, "median_s", shape["steps"]) for c in row)
        table.add_row(str(shape["steps"]), str(shape["batch"]), *per_step)
    return table


def bridge_table(document: Document) -> Table | None:
    rows = document.get("bridges") or []
    if not rows:
        return None
    table = Table(title="bridge costs (1 thread): median per call (±IQR/median)", box=box.SIMPLE_HEAD)
    for column, justify in (("what", "left"), ("backend", "left"), ("dtype", "left"), ("time", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("note")
    for row in rows:
        note = ""
        if "gbps_float64" in row and row["contender"] != "numpy":
            note = f"{row['gbps_float64']:.2f} GB/s (float64 weights in)"
        elif row["bridge"] == "handover" and row["contender"] == "numpy":
            note = "no hand-over: numpy keeps the arrays"
        table.add_row(row["label"], row["contender"], row["dtype"], _time_text(row), note)
    return table


#: Ours in the fwd+bwd table's ratio columns, in this order.
BACKWARD_OURS: tuple[str, ...] = ("c", "java", "numpy")


def backward_table(document: Document, dtype: str, threads: int) -> Table | None:
    """``--backward``: median fwd+bwd time per sequence, ours and PyTorch autograd, and ours over torch."""
    rows = [c for c in document.get("backward") or [] if c["dtype"] == dtype and c["threads"] == threads]
    if not rows:
        return None
    cells = {(c["shape"], c["contender"]): c for c in rows}
    names = list(dict.fromkeys(c["contender"] for c in rows))
    ours = [name for name in BACKWARD_OURS if name in names]
    forward = _index(document)
    plural = "" if threads == 1 else "s"
    title = (
        f"fwd+bwd, {dtype}, {threads} thread{plural}: median time per forward + backward "
        "(L = sum(output * d_output); ±IQR/median)"
    )
    caption = (
        "x torch = time over PyTorch autograd's (torch, oneDNN on); c ÷ fwd = C's fwd+bwd over its forward alone;"
        " java 1st call = its first fwd+bwd (JIT cold)"
    )
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD)
    table.add_column("shape", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right")
    for name in ours:
        table.add_column(f"{name} x torch", justify="right")
    if "c" in names:
        table.add_column("c ÷ fwd", justify="right")
    if "java" in names:
        table.add_column("java 1st call", justify="right")
    for shape in dict.fromkeys(c["shape"] for c in rows):
        row = [_time_text(cells.get((shape, name))) for name in names]
        row += [_number((cells.get((shape, name)) or {}).get("ratio_to_torch"), "x") for name in ours]
        if "c" in names:
            row.append(_number(_ratio(cells.get((shape, "c")), forward.get((shape, dtype, threads, "c"))), "x"))
        if "java" in names:
            java = cells.get((shape, "java")) or {}
            row.append(fmt_seconds(java["first_call_s"]) if java.get("status") == "ok" else "")
        table.add_row(shape, *row)
    return table


def _header(document: Document) -> list[str]:
    machine, probes = document["machine"], document["probes"]
    lines = [f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['platform']}"]
    cores = machine.get("cores") or 1
    for worker in document["workers"]:
        versions = ", ".join(f"{k} {v}" for k, v in worker["versions"].items() if v is not None)
        lines.append(f"{worker['threads']} thread(s): {versions}; took {worker['elapsed_s']:.0f} s")
        other = worker.get("other_load")
        if other is not None and other > BUSY_LOAD:
            lines.append(
                f"  warning: other processes kept {other:.2f} of the {cores} cores busy during this run: "
                "its timings are noisy"
            )
    if probes.get("reason"):
        lines.append(f"roofline probes: n/a ({probes['reason']})")
    else:
        peaks = ", ".join(f"{d} {v:.1f} GFLOP/s" for d, v in probes["peak_gflops"].items())
        biggest = max(probes["read_gbps"], key=int, default=None)
        dram = f"; read {probes['read_gbps'][biggest]:.1f} GB/s at {int(biggest) >> 20} MiB" if biggest else ""
        lines.append(f"roofline probes (1 thread): peak {peaks}{dram}")
        per_isa = "; ".join(
            f"{isa} " + ", ".join(f"{d} {v:.1f}" for d, v in values.items())
            for isa, values in probes.get("isa_peak_gflops", {}).items()
        )
        if per_isa:
            lines.append(f"peak GFLOP/s per instruction set (1 thread): {per_isa}")
    return lines


def _kernels(document: Document) -> list[str]:
    """Which code each contender ran (``info["kernel"]``), per dtype, each distinct value once."""
    runs: dict[str, dict[str, list[str]]] = {}
    for cell in document["cells"]:
        kernel = (cell.get("info") or {}).get("kernel")
        if kernel:
            dtypes = runs.setdefault(cell["contender"], {}).setdefault(str(kernel), [])
            if cell["dtype"] not in dtypes:
                dtypes.append(cell["dtype"])
    lines = []
    for contender, kernels in runs.items():
        ran = "; ".join(f"{kernel} ({', '.join(dtypes)})" for kernel, dtypes in kernels.items())
        lines.append(f"  {contender}: {ran}")
    return ["kernels run:", *lines] if lines else []


def _notes(document: Document) -> list[str]:
    """n/a reasons (once each), errors and failed answer checks."""
    seen: dict[tuple[str, str, str], None] = {}
    lines = []
    for cell in [*document["cells"], *(document.get("bridges") or []), *(document.get("backward") or [])]:
        if cell["status"] != "ok":
            where = f"{cell['shape']} " if cell.get("group") == "fixture" else ""
            where = f"fwd+bwd {where}" if cell.get("pass") == "fwd+bwd" else where
            key = (cell["status"], f"{where}{cell['contender']} {cell['dtype']}", cell.get("reason") or "")
            seen.setdefault(key, None)
        check = cell.get("check")
        if check is not None and not check.get("ok", True):
            lines.append(
                f"[red]answer check failed[/]: {cell.get('pass', 'forward')} {cell['contender']} {cell['shape']} "
                f"{cell['dtype']} "
                f"{cell['threads']}t: max |{check.get('field', 'h_n')} - {check.get('vs')}| = {check.get('max_abs')}"
                + (f" ({check['error']})" if check.get("error") else "")
            )
    return [f"{status}: {who}: {short(reason)}" for status, who, reason in seen] + lines


def fixture_lines(document: Document) -> list[str]:
    """What each ``--fixture`` model is, and how its answers were checked (one line each)."""
    lines = []
    for shape in document["shapes"]:
        if shape["group"] != "fixture":
            continue
        cells = [c for c in document["cells"] if c["shape"] == shape["name"] and "check" in c]
        worst = max((c["check"]["max_abs"] for c in cells if c["check"].get("max_abs") is not None), default=None)
        failed = sum(1 for c in cells if not c["check"].get("ok"))
        checked = f"{len(cells)} answers checked ({shape['checked_field']} vs numpy float64"
        checked += f", worst {worst:.2g}" if worst is not None else ""
        checked += f", {failed} FAILED)" if failed else ", all agree)"
        inputs = "random tokens" if shape["tokens"] else "random x"
        sizes = f"v{shape['format_version']}, B={shape['batch']}, T={shape['steps']}"
        lines.append(f"fixture {shape['name']} ({sizes}): {shape['describe']}; {inputs}; {checked}")
    return lines


def goal_lines(document: Document) -> list[str]:
    """One line per goal: status, the goal's words, the detail (plain text)."""
    return [f"{g['status']:<10} {g['goal']} -- {g['detail']}" for g in document["goals"]]


def render(document: Document, console: Console | None = None) -> None:
    """Print the whole report."""
    console = console or Console()
    for line in _header(document) + _kernels(document):
        console.print(line, highlight=False)
    columns = _extra_columns(document)
    console.print("columns: " + "; ".join(f"{name} = {what}" for name, what in columns), highlight=False)
    for dtype in document["plan"]["dtypes"]:
        for threads in document["plan"]["threads"]:
            console.print(main_table(document, dtype, threads))
    for dtype in document["plan"]["dtypes"]:
        for threads in document["plan"]["threads"]:
            growth = growth_table(document, dtype, threads)
            if growth is not None:
                console.print(growth)
    for dtype in document["plan"]["dtypes"]:
        for threads in document["plan"]["threads"]:
            backward = backward_table(document, dtype, threads)
            if backward is not None:
                console.print(backward)
    bridges = bridge_table(document)
    if bridges is not None:
        console.print(bridges)
    for line in fixture_lines(document):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    for line in _notes(document):
        console.print(line, highlight=False, markup=line.startswith("[red]"), soft_wrap=True)
    if not document["goals"]:
        return
    console.print("speed goals (from the issue; measured, never asserted):", style="bold")
    for goal, line in zip(document["goals"], goal_lines(document), strict=True):
        console.print(line, style=STATUS_STYLE.get(goal["status"]), highlight=False, markup=False, soft_wrap=True)
