"""`hawk kb ...`: inspect and maintain the knowledge store, directly on its SQLite file (no Ray needed).

The database is `--db PATH`, else $HAWK_HOME/knowledge.sqlite (HAWK_HOME defaults to ~/.hawk). It is safe to
run these while campaigns and the knowledge actor use the same file: SQLite WAL gives readers a consistent
snapshot and serialises writers. `distill` uses the LLM named by HAWK_KB_LLM_BASE_URL / HAWK_KB_LLM_MODEL
when set, and the deterministic rules otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _open(args: argparse.Namespace, *, llm: bool = False) -> Any:
    from knowledge.base import KnowledgeBase
    from knowledge.llm import LLMConfig

    return KnowledgeBase(args.db or None, llm=LLMConfig.from_env() if llm else None)


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, sort_keys=True, default=str))


def _iso(epoch: Any) -> str:
    """An epoch (number or numeric text) as ISO 8601 UTC, e.g. 2026-12-06T18:04:49Z; "" stays ""."""
    from datetime import UTC, datetime

    if epoch in (None, ""):
        return ""
    try:
        return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError, OverflowError, OSError):
        return str(epoch)


def _provenance_text(p: dict[str, Any], kind: str) -> str:
    """One provenance record named by what it was: synthesis stores the pair's earlier kernel as role "failed"
    also when it passed and was only slower, so the status says which it was."""
    role, status = p.get("role", ""), p.get("status", "")
    timed = f", {p['time_us']:g} us" if isinstance(p.get("time_us"), int | float) else ""
    if role == "failed":
        what = f"slower parent (passed{timed})" if status == "OK" else f"failed parent ({status or 'failed'})"
    elif role == "fixed":
        what = f"{'faster' if kind == 'optimization' else 'fixing'} child ({status or 'OK'}{timed})"
    else:
        what = role or "source"
    rest = {k: v for k, v in p.items() if k not in ("role", "status", "time_us")}
    return what + (": " + ", ".join(f"{k}={v}" for k, v in sorted(rest.items())) if rest else "")


def _fail(message: str) -> int:
    """Bad input (an unknown id, a malformed or missing file, not a knowledge database): exit 2 (docs/cli.md)."""
    from npu_agent.errors import EXIT_USAGE

    print(f"hawk kb: {message}", file=sys.stderr)
    return EXIT_USAGE


def _known_hardware(args: argparse.Namespace, prog: str) -> None:
    """An unknown --hardware is a usage error (exit 2), not an empty answer."""
    from npu_agent.hardware import available_profiles

    hw = getattr(args, "hardware", None)
    if hw and hw != "*" and hw not in available_profiles():
        raise SystemExit(f"hawk kb {prog}: unknown --hardware {hw!r}; known: {', '.join(available_profiles())}, *")


def _list(args: argparse.Namespace) -> int:
    _known_hardware(args, "list")
    kb = _open(args)
    states = None if args.state == "all" else [args.state]
    entries = kb.entries(states=states, hardware=args.hardware)
    if args.json:
        _print_json([e.to_dict() for e in entries])
        return 0
    print(f"{'ID':34} {'STATE':8} {'KIND':12} {'ORIGIN':9} {'USES':>4} {'EFFECT':>6}  TITLE")
    for e in entries:
        print(f"{e.id:34} {e.state:8} {e.kind:12} {e.origin:9} {e.stats.uses:>4} {e.stats.mean_effect:>6.2f}  "
              f"{e.title[:70]}")
    print(f"{len(entries)} entries in {kb.path}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from knowledge.evidence import summarise
    from knowledge.model import EntryNotFound

    kb = _open(args)
    try:
        e = kb.get(args.id)
        history = kb.history(args.id)
    except EntryNotFound as err:
        return _fail(str(err))
    if args.json:
        _print_json({"entry": e.to_dict(), "history": history, "effects": kb.effects(args.id)})
        return 0
    t, s = e.trigger, e.stats
    print(f"{e.id}  [{e.state}] {e.kind}, {e.origin}, hardware {e.hardware}, version {e.version}")
    print(f"title:     {e.title}")
    if e.state == "deleted":
        print(f"deleted:   {e.deleted_reason}" + (f" (merged into {e.merged_into})" if e.merged_into else ""))
    print(f"trigger:   class={t.error_class or '-'} status={t.status or '-'} bottleneck={t.bottleneck or '-'}")
    print(f"           apis={', '.join(t.apis) or '-'} signature={t.error_signature or '-'}")
    if t.code_pattern:
        print(f"           pattern={t.code_pattern}")
    print(f"rationale: {e.rationale}  ({e.rationale_by or 'manual'})")
    if e.check:
        print(f"check:     when {e.check['when']}\n           -> {e.check['message']}")
    if e.transform:
        vals = ", ".join(f"{k}={v}" for k, v in sorted(e.transform.get("values", {}).items()))
        print(f"transform: {e.transform['name']} ({vals})")
    if e.features:
        print(f"features:  {json.dumps(e.features, sort_keys=True)}")
    print(f"effects:   uses={s.uses} passes={s.passes} fails={s.fails} fixes={s.fixes} breaks={s.breaks} "
          f"mean={s.mean_effect:.3f}" + (f" geomean_speedup={s.geomean_speedup:.3f}" if s.geomean_speedup else ""))
    uses = kb.effects(args.id, args.uses)
    if uses:
        print(f"uses (evidence, newest {len(uses)}):")
        for u in uses:
            print(f"  - effect {u['effect']:+.2f}  " + summarise({"evaluation_id": u["evaluation_id"],
                                                               **u["evidence"]}))
            if u["evidence"].get("credit"):
                print(f"      credit: {u['evidence']['credit']}")
    print("provenance:")
    for p in e.provenance:
        print("  - " + _provenance_text(p, e.kind))
    if e.template:
        print("template:\n" + "\n".join("    " + ln for ln in e.template.splitlines()))
    print("history:")
    for h in history:
        print(f"  v{h['version']} {_iso(h['at'])}  {h['reason']}")
    return 0


def _search(args: argparse.Namespace) -> int:
    from knowledge.retrieval import Query
    from npu_agent.taskspec import TaskError, dtype_from_name

    _known_hardware(args, "search")
    if args.dtype:
        try:
            dtype_from_name(args.dtype)
        except TaskError as e:
            raise SystemExit(f"hawk kb search: --dtype: {e}") from None
    kb = _open(args)
    from hawk.v1 import result_pb2
    from knowledge.taxonomy import FAMILIES

    coords: dict[str, Any] = {}
    if args.error_class:
        if args.error_class not in FAMILIES:
            raise SystemExit(f"hawk kb search: unknown --error-class {args.error_class!r}; known: "
                             f"{', '.join(sorted(FAMILIES))}")
        coords["error_class"] = args.error_class
    if args.bottleneck:
        kind, _, pipe = args.bottleneck.partition(":")
        kinds = [k for k in result_pb2.Bottleneck.Kind.keys() if k.endswith("_BOUND")]  # noqa: SIM118
        pipes = [p for p in result_pb2.Pipe.keys() if p != "PIPE_UNSPECIFIED"]  # noqa: SIM118
        if kind not in kinds or (pipe and pipe not in pipes):
            raise SystemExit(f"hawk kb search: --bottleneck {args.bottleneck!r} is not KIND[:PIPE] with KIND one "
                             f"of {', '.join(kinds)} and PIPE one of {', '.join(pipes)}")
        coords["bottleneck"] = args.bottleneck
    if args.dtype:
        coords["dtypes"] = [args.dtype]
    query = Query.from_text(args.query, hardware=args.hardware or "", **coords)
    hits = kb.retrieve(query, args.k, include_pending=args.pending, include_trial=args.trial)
    if args.json:
        _print_json([{"id": h.entry.id, "title": h.entry.title, "score": h.score,
                      "syntactic_score": h.syntactic_score, "semantic_score": h.semantic_score,
                      "reasons": list(h.reasons)} for h in hits])
        return 0
    if not hits:
        print("no matching entries")
    for i, h in enumerate(hits, 1):
        print(f"{i}. {h.entry.id}  score {h.score:.3f} (syntactic {h.syntactic_score:.2f}, "
              f"semantic {h.semantic_score:.2f})  {h.entry.title}")
        for r in h.reasons:
            print(f"     {r}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    """Always JSON (--json is accepted for symmetry); times are ISO 8601 UTC."""
    stats = _open(args).stats()
    stats["last_distill"] = _iso(stats.get("last_distill"))
    _print_json(stats)
    return 0


def _export(args: argparse.Namespace) -> int:
    kb = _open(args)
    n = kb.export_jsonl(args.file)
    print(f"exported {n} records from {kb.path} to {args.file}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from knowledge.model import KnowledgeError

    kb = _open(args)
    try:
        counts = kb.import_jsonl(args.file)
    except FileNotFoundError:
        return _fail(f"no such file: {args.file}")
    except KnowledgeError as e:
        return _fail(f"{args.file}: {e} (nothing was imported)")
    print(f"imported {args.file} into {kb.path}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _distill(args: argparse.Namespace) -> int:
    report = _open(args, llm=True).distill()
    if args.json:
        _print_json(report.to_dict())
        return 0
    for d in report.decisions:
        print(f"{d.action:6} {', '.join(d.entry_ids):40} by {d.by}: {d.reason}")
    print(f"pruned {len(report.pruned)}, merged {len(report.merged)}, kept {len(report.kept)}")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from knowledge.base import KnowledgeBase
    from knowledge.model import KnowledgeError
    from knowledge.seed import seed_store

    kb = KnowledgeBase(args.db or None, seed=False)
    try:
        added = seed_store(kb.store, args.hardware)
    except KnowledgeError as e:
        return _fail(str(e))
    print(f"seeded {len(added)} {args.hardware} entries into {kb.path}")
    return 0


def _guard(handler: Any) -> Any:
    """Turn store errors (a file that is not a knowledge database, bad input) into one clear line."""
    def run(args: argparse.Namespace) -> int:
        from knowledge.model import KnowledgeError

        try:
            return handler(args)
        except KnowledgeError as e:
            return _fail(str(e))

    return run


def add_kb_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kb", help="inspect and maintain the knowledge store",
                       description="Inspect and maintain the knowledge store (default $HAWK_HOME/knowledge.sqlite, "
                                   "HAWK_HOME defaulting to ~/.hawk).")
    from npu_agent.cli import int_range

    db_help = "knowledge database (default $HAWK_HOME/knowledge.sqlite)"
    p.add_argument("--db", metavar="PATH", default=None, help=db_help)
    verbs = p.add_subparsers(dest="verb", metavar="VERB")

    def verb(name: str, helptext: str, handler: Any) -> argparse.ArgumentParser:
        v = verbs.add_parser(name, help=helptext, description=helptext)
        v.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=db_help)
        v.set_defaults(handler=_guard(handler))
        return v

    v = verb("list", "list entries", _list)
    v.add_argument("--state", choices=("active", "trial", "pending", "deleted", "all"), default="active")
    v.add_argument("--hardware", default=None, help="only entries scoped to this hardware profile (and '*')")
    v.add_argument("--json", action="store_true")
    v = verb("show", "show one entry with its provenance, effects and history", _show)
    v.add_argument("id")
    v.add_argument("--json", action="store_true")
    v.add_argument("--uses", type=int_range(0, 1_000_000), default=10,
                   help="evidence rows of the newest uses to show (default 10)")
    v = verb("search", "2-D retrieval: syntactic and hardware-aligned semantic rankings, fused", _search)
    v.add_argument("query", help="free text: error text, API names, an error class such as UB_OUT_OF_BOUNDS")
    v.add_argument("-k", type=int_range(1, 1000), default=5, help="entries to return, 1..1000 (default 5)")
    v.add_argument("--hardware", default=None)
    v.add_argument("--error-class", default=None, help="e.g. UB_OUT_OF_BOUNDS, TAIL_MISMATCH")
    v.add_argument("--bottleneck", default=None, help="e.g. PIPE_BOUND:MTE2, LATENCY_BOUND:VECTOR")
    v.add_argument("--dtype", default=None, help="e.g. float16")
    v.add_argument("--pending", action="store_true", help="include pending entries (no verified template yet)")
    v.add_argument("--trial", action="store_true", help="include trial entries (template verified only once)")
    v.add_argument("--json", action="store_true")
    v = verb("stats", "store statistics as JSON (times in ISO 8601 UTC)", _stats)
    v.add_argument("--json", action="store_true", help="the default: stats are always JSON")
    v = verb("export", "export everything as JSONL", _export)
    v.add_argument("file")
    v = verb("import", "import a JSONL export (all or nothing)", _import)
    v.add_argument("file")
    v = verb("distill", "prune and merge now", _distill)
    v.add_argument("--json", action="store_true")
    v = verb("seed", "add the documented hardware seed pack (missing entries only)", _seed)
    v.add_argument("--hardware", default="ascend910b2")
