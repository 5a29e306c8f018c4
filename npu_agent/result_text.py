"""A human summary of a hawk.v1.Result, shared by `hawk sim run`, `hawk demo` and logs."""

from __future__ import annotations

from hawk.v1 import result_pb2


def describe(res: result_pb2.Result, name: str) -> str:
    """Status line, then diagnostics, the hardware exception, numerics and the profile, as the agent gave them."""
    lines = [f"{name}: {result_pb2.Status.Name(res.status)} - {res.message}"]
    for d in res.diagnostics:
        if d.severity in ("error", "warning"):
            where = f"{name}/{d.file}" if d.file else name  # a file of a multi-file candidate
            lines.append(f"  {where}:{d.line}:{d.column}: {d.severity}: {d.message}")
    if res.status == result_pb2.HARDWARE_EXCEPTION:
        e = res.hardware_exception
        lines.append(f"  {e.kind} (code {e.code}, error code {e.error_code}) in {e.api} at line {e.source_line}, "
                     f"block {e.block_id}, {result_pb2.CoreType.Name(e.core_type)} core")
        lines.append(f"  {e.message}")
    if res.HasField("numeric"):
        n = res.numeric
        lines.append(f"  numeric: {n.sets_checked} set(s), max abs error {n.max_abs_error:.3g}, max rel error "
                     f"{n.max_rel_error:.3g}, {n.mismatch_count}/{n.element_count} mismatches")
    if res.HasField("size_coverage"):
        lines.append("  " + coverage_text(res.size_coverage))
    if res.HasField("profile"):
        p = res.profile
        if p.time_us:
            lines.append(f"  simulated {p.time_us:.2f} us ({p.total_cycles} cycles, {p.model or 'unnamed model'})"
                         + (f"; {p.bottleneck.explanation}" if p.bottleneck.explanation else ""))
        if p.HasField("floor") and p.floor.time_us:
            lines.append(f"  hardware floor {p.floor.time_us:.2f} us ({p.floor.limiter}); achieved "
                         f"{p.floor.achieved_fraction:.0%}"
                         + ("  FLAGGED: below the hardware floor, not believed" if p.floor.below_floor else ""))
        moved = ", ".join(f"{m.path} {m.bytes} B" for m in p.bytes_moved)
        lines.append(f"  block dim {p.block_dim}; moved: {moved or 'nothing'}")
    if res.stage_timings:
        lines.append("  stages: " + ", ".join(f"{result_pb2.Stage.Name(t.stage).lower()} {t.seconds:.2f}s"
                                             for t in res.stage_timings))
    if res.agent_id:
        lines.append(f"  evaluated by agent {res.agent_id}, device {res.device_id}" + (" (cached)" if res.cached else ""))
    if res.log_tail:
        lines.extend("  " + x for x in res.log_tail.splitlines()[-20:])
    return "\n".join(lines)


def _shapes_text(shapes) -> str:
    return " ".join(f"{t.name}[{','.join(str(d) for d in t.shape)}]" for t in shapes)


def coverage_text(c: result_pb2.SizeCoverage) -> str:
    """One line: which sizes were verified (on how many sets) and which were timed, and why."""
    verified = "; ".join(f"{v.sets} set(s) at {_shapes_text(v.tensors)}" for v in c.verified) or "nothing"
    if c.timed:
        timed = f"timed at {_shapes_text(c.timed)} ({'a verified run' if c.timed_run_verified else 'timing-only run'})"
    else:
        timed = "not timed"
    return f"sizes: verified {verified}; {timed}" + (f" -- {c.reason}" if c.reason else "")
