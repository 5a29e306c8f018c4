"""Bad input to every CLI gets one line on stderr naming the problem and a documented exit code (docs/cli.md),
never a traceback: flags, campaign specs, task files, token files, TLS material, results and knowledge stores."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from pathlib import Path

import pytest

from controller.cli import main
from npu_agent.errors import EXIT_UNREACHABLE, EXIT_USAGE

pytestmark = pytest.mark.timeout(120)

TASK = '''
[[task]]
name = "t_add"
category = "elementwise"
inputs = [
  { name = "x", shape = [64], dtype = "float32", distribution = { kind = "uniform", low = -1.0, high = 1.0 } },
]
outputs = [{ name = "z", shape = [64], dtype = "float32" }]
reference = """
def reference(x):
    return x + 1
"""
kernel_entry = "add_custom"
verify_sets = 2
'''

SPEC = '''
name = "bad-input"
tasks = ["add_fp16_small"]
[budget]
rounds = 2
candidates_per_round = 2
[agents]
local = 1
local_backend = "null"
'''


def _spec(replace: tuple[str, str] | None = None, add: str = "") -> str:
    text = SPEC if replace is None else SPEC.replace(*replace)
    assert replace is None or replace[0] in SPEC
    return text + add


def _task(replace: tuple[str, str]) -> str:
    assert replace[0] in TASK
    return TASK.replace(*replace)


def _cert(root: Path, name: str, *, days_from: float, days_to: float, key_mode: int = 0o600):
    """A self-signed certificate valid from now+days_from to now+days_to, and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now + dt.timedelta(days=days_from))
            .not_valid_after(now + dt.timedelta(days=days_to)).sign(key, hashes.SHA256()))
    c, k = root / f"{name}.crt", root / f"{name}.key"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    k.chmod(key_mode)
    return c, k


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every bad file the cases refer to, by name."""
    root = tmp_path_factory.mktemp("bad-input")
    f: dict[str, str] = {"sim_root": os.environ.get("HAWK_SIM_WORK_ROOT") or tempfile.mkdtemp(prefix="hawk-sim-")}

    def put(name: str, data: str | bytes, mode: int = 0o600) -> None:
        p = root / name
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        p.chmod(mode)
        f[name] = str(p)

    put("kernel.cpp", "// a kernel\n")
    put("kernel_latin1.cpp", b"// caf\xe9 \xff\xfe\n")
    put("token_0644", "tok-abcdefgh-123\n", 0o644)
    put("token_0640", "tok-abcdefgh-123\n", 0o640)
    put("token_empty", "\n")
    put("token_spaces", "two words here\n")
    put("token_other_owner", "tok-abcdefgh-123\n")
    if os.geteuid() == 0:
        os.chown(f["token_other_owner"], 65534, 65534)
    (root / "token_dir").mkdir()
    f["token_dir"] = str(root / "token_dir")
    f["missing"] = str(root / "does-not-exist")
    put("garbage.pem", "this is not a certificate\n")
    put("garbage.key", "this is not a key\n")
    put("half.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    good_c, good_k = _cert(root, "good", days_from=-1, days_to=300)
    other_c, other_k = _cert(root, "other", days_from=-1, days_to=300)
    exp_c, exp_k = _cert(root, "expired", days_from=-30, days_to=-2)
    fut_c, fut_k = _cert(root, "future", days_from=5, days_to=300)
    open_c, open_k = _cert(root, "openkey", days_from=-1, days_to=300, key_mode=0o644)
    f.update(good_crt=str(good_c), good_key=str(good_k), other_key=str(other_k), expired_crt=str(exp_c),
             expired_key=str(exp_k), future_crt=str(fut_c), future_key=str(fut_k), open_crt=str(open_c),
             open_key=str(open_k))
    put("encrypted.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")
    # Stores: not SQLite, random bytes, truncated real database, another program's database.
    put("garbage.sqlite", "not a database at all\n")
    put("random.sqlite", os.urandom(8192))
    real = root / "real.sqlite"
    db = sqlite3.connect(real)
    db.execute("CREATE TABLE t (x)")
    db.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    db.commit()
    db.close()
    put("truncated.sqlite", real.read_bytes()[:1500])
    foreign = root / "foreign.sqlite"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('schema_version', 'banana')")
    db.commit()
    db.close()
    f["foreign.sqlite"] = str(foreign)
    # Campaign specs.
    specs = {
        "spec_rounds_huge": _spec(("rounds = 2", "rounds = 99999999999999999999")),
        "spec_rounds_zero": _spec(("rounds = 2", "rounds = 0")),
        "spec_rounds_negative": _spec(("rounds = 2", "rounds = -3")),
        "spec_rounds_float": _spec(("rounds = 2", "rounds = 2.5")),
        "spec_rounds_string": _spec(("rounds = 2", 'rounds = "two"')),
        "spec_cpr_huge": _spec(("candidates_per_round = 2", "candidates_per_round = 10000000")),
        "spec_wall_nan": _spec(add="wall_time_s = nan\n").replace("[agents]\nlocal = 1\nlocal_backend = \"null\"\n",
                                                                 "") + "[agents]\nlocal = 1\n",
        "spec_wall_inf": _spec(("rounds = 2", "rounds = 2\nwall_time_s = inf")),
        "spec_wall_negative": _spec(("rounds = 2", "rounds = 2\nwall_time_s = -5.0")),
        "spec_max_eval_negative": _spec(("rounds = 2", "rounds = 2\nmax_evaluations = -1")),
        "spec_priority_huge": "priority = 99999999999\n" + SPEC,
        "spec_seed_negative": "seed = -1\n" + SPEC,
        "spec_temperature": _spec(add="[llm]\ntemperature = 9.0\n"),
        "spec_llm_timeout_negative": _spec(add="[llm]\nrequest_timeout_s = -1.0\n"),
        "spec_llm_concurrency_huge": _spec(add="[llm]\nmax_concurrency = 1000000\n"),
        "spec_knowledge_k_zero": _spec(add="[knowledge]\nk = 0\n"),
        "spec_local_huge": _spec(("local = 1", "local = 100000")),
        "spec_local_devices_zero": _spec(("local = 1", "local = 1\nlocal_devices = 0")),
        "spec_proposer_negative": _spec(add="[proposers]\noffline = -1.0\n"),
        "spec_proposer_inf": _spec(add="[proposers]\noffline = inf\n"),
        "spec_unknown_key": "colour = 'red'\n" + SPEC,
        "spec_unknown_hardware": 'hardware = "ascend9999"\n' + SPEC,
        "spec_bad_address": _spec(("local = 1", 'addresses = ["nohost"]')),
        "spec_bad_port": _spec(("local = 1", 'addresses = ["h:70000"]')),
        "spec_bad_toml": "name = \n[[[",
        "spec_empty": "",
        "spec_unknown_backend": _spec(('local_backend = "null"', 'local_backend = "gpu"')),
    }
    specs.update({
        "spec_token_0644": _spec(("local = 1", f'local = 1\ntoken_file = "{f["token_0644"]}"')),
        "spec_token_missing": _spec(("local = 1", f'local = 1\ntoken_file = "{f["missing"]}"')),
        "spec_tls_garbage": _spec(("local = 1", f'local = 1\ntls_cert = "{f["garbage.pem"]}"\n'
                                                f'tls_key = "{f["good_key"]}"')),
        "spec_tls_mismatch": _spec(("local = 1", f'local = 1\ntls_cert = "{f["good_crt"]}"\n'
                                                 f'tls_key = "{f["other_key"]}"')),
        "spec_tls_expired": _spec(("local = 1", f'local = 1\ntls_cert = "{f["expired_crt"]}"\n'
                                                f'tls_key = "{f["expired_key"]}"')),
        "spec_tls_ca_garbage": _spec(("local = 1", f'local = 1\ntls_ca = "{f["garbage.pem"]}"')),
        "spec_unknown_task": _spec(('tasks = ["add_fp16_small"]', 'tasks = ["no_such_task_xyz"]')),
    })
    for name, text in specs.items():
        put(name + ".toml", text)
    put("spec_latin1.toml", b"name = \"caf\xe9\"\n")
    # Task files.
    tasks = {
        "task_negative_dim": _task(("shape = [64], dtype = \"float32\", distribution",
                                    "shape = [-64], dtype = \"float32\", distribution")),
        "task_huge_dim": _task(("shape = [64], dtype = \"float32\", distribution",
                                "shape = [4611686018427387904], dtype = \"float32\", distribution")),
        "task_absurd_int": _task(("shape = [64], dtype = \"float32\", distribution",
                                  "shape = [99999999999999999999], dtype = \"float32\", distribution")),
        "task_bad_dtype": _task(('shape = [64], dtype = "float32", distribution',
                                 'shape = [64], dtype = "float99", distribution')),
        "task_verify_sets_negative": _task(("verify_sets = 2", "verify_sets = -2")),
        "task_verify_sets_huge": _task(("verify_sets = 2", "verify_sets = 99999999999999999999")),
        "task_reference_syntax": _task(("    return x + 1", "    return x +")),
        "task_bad_entry": _task(('kernel_entry = "add_custom"', 'kernel_entry = "add custom; rm"')),
        "task_bad_toml": "[[task]\nname=",
        "task_empty": "",
        "task_twice": TASK + TASK,
        "task_low_above_high": _task(("low = -1.0, high = 1.0", "low = 1.0, high = -1.0")),
        "task_nan_bound": _task(("low = -1.0, high = 1.0", "low = nan, high = 1.0")),
    }
    for name, text in tasks.items():
        put(name + ".toml", text)
    put("kb.jsonl", '{"not": "an entry"}\n')
    return f


def _serve(*extra: str) -> list[str]:
    return ["agent", "serve", "--port", "0", "--backend", "null", *extra]


def _sim(*extra: str, kernel: str = "{kernel.cpp}") -> list[str]:
    return ["sim", "run", kernel, *extra]


# (id, argv with {file} placeholders, exit code, a piece of the one-line error)
CASES = [
    # --- hawk sim run ---------------------------------------------------------------------------------
    ("sim-sets-negative", _sim("--task", "add_fp16_small", "--sets", "-2"), EXIT_USAGE, "--sets: -2 is out of range"),
    ("sim-sets-zero", _sim("--task", "add_fp16_small", "--sets", "0"), EXIT_USAGE, "--sets: 0 is out of range"),
    ("sim-sets-huge", _sim("--task", "add_fp16_small", "--sets", "99999999999999999999"), EXIT_USAGE, "out of range"),
    ("sim-sets-word", _sim("--task", "add_fp16_small", "--sets", "three"), EXIT_USAGE, "is not an integer"),
    ("sim-seed-negative", _sim("--task", "add_fp16_small", "--seed", "-1"), EXIT_USAGE, "--seed: -1 is out of range"),
    ("sim-timeout-zero", _sim("--task", "add_fp16_small", "--timeout", "0"), EXIT_USAGE, "--timeout"),
    ("sim-timeout-negative", _sim("--task", "add_fp16_small", "--timeout", "-5"), EXIT_USAGE, "out of range"),
    ("sim-timeout-nan", _sim("--task", "add_fp16_small", "--timeout", "nan"), EXIT_USAGE, "not a finite number"),
    ("sim-timeout-inf", _sim("--task", "add_fp16_small", "--timeout", "inf"), EXIT_USAGE, "not a finite number"),
    ("sim-kernel-missing", _sim("--task", "add_fp16_small", kernel="{missing}"), EXIT_USAGE, "does-not-exist"),
    ("sim-kernel-latin1", _sim("--task", "add_fp16_small", kernel="{kernel_latin1.cpp}"), EXIT_USAGE,
     "kernel_latin1.cpp"),
    ("sim-unknown-task", _sim("--task", "no_such_task_xyz"), EXIT_USAGE, "no_such_task_xyz"),
    ("sim-no-task", _sim(), EXIT_USAGE, "--task"),
    ("sim-unknown-hardware", _sim("--task", "add_fp16_small", "--hardware", "ascend9999"), EXIT_USAGE,
     "unknown hardware profile 'ascend9999'"),
    ("sim-task-file-missing", _sim("--task-file", "{missing}"), EXIT_USAGE, "does-not-exist"),
    ("sim-bad-define", _sim("--task", "add_fp16_small", "--define", "1BAD=2"), EXIT_USAGE, "--define"),
    # task files
    *[(f"task-{n}", _sim("--task-file", "{task_" + n + ".toml}"), EXIT_USAGE, needle) for n, needle in [
        ("negative_dim", "shape"), ("huge_dim", "t_add"), ("absurd_int", "t_add"), ("bad_dtype", "float99"),
        ("verify_sets_negative", "verify_sets"), ("verify_sets_huge", "verify_sets"),
        ("reference_syntax", "reference"), ("bad_entry", "kernel_entry"), ("bad_toml", "task_bad_toml"),
        ("empty", "task_empty"), ("low_above_high", "t_add"), ("nan_bound", "t_add"), ("twice", "used twice")]],
    ("tasks-show-reference-syntax", ["tasks", "show", "t_add", "--task-file", "{task_reference_syntax.toml}"],
     EXIT_USAGE, "reference line"),
    ("tasks-show-task-twice", ["tasks", "show", "t_add", "--task-file", "{task_twice.toml}"], EXIT_USAGE,
     "used twice"),
    # --- hawk agent serve -----------------------------------------------------------------------------
    ("serve-port-high", ["agent", "serve", "--port", "70000"], EXIT_USAGE, "70000 is not a port"),
    ("serve-port-negative", ["agent", "serve", "--port", "-1"], EXIT_USAGE, "is not a port"),
    ("serve-port-word", ["agent", "serve", "--port", "http"], EXIT_USAGE, "'http' is not a port number"),
    ("serve-metrics-port-high", _serve("--metrics-port", "65536"), EXIT_USAGE, "65536 is not a port"),
    ("serve-max-concurrent-zero", _serve("--max-concurrent", "0"), EXIT_USAGE, "--max-concurrent: 0 is out of range"),
    ("serve-max-concurrent-negative", _serve("--max-concurrent", "-4"), EXIT_USAGE, "out of range"),
    ("serve-devices-zero", _serve("--devices", "0"), EXIT_USAGE, "--devices: 0 is out of range"),
    ("serve-devices-huge", _serve("--devices", "99999999999999999999"), EXIT_USAGE, "out of range"),
    ("serve-compile-workers-negative", _serve("--compile-workers", "-1"), EXIT_USAGE, "out of range"),
    ("serve-compile-timeout-negative", _serve("--compile-timeout", "-1"), EXIT_USAGE, "--compile-timeout"),
    ("serve-verify-timeout-nan", _serve("--verify-timeout", "nan"), EXIT_USAGE, "not a finite number"),
    ("serve-profile-timeout-inf", _serve("--profile-timeout", "inf"), EXIT_USAGE, "not a finite number"),
    ("serve-profile-timeout-zero", _serve("--profile-timeout", "0"), EXIT_USAGE, "out of range"),
    ("serve-drain-timeout-negative", _serve("--drain-timeout", "-1"), EXIT_USAGE, "--drain-timeout"),
    ("serve-null-run-nan", _serve("--null-run-s", "nan"), EXIT_USAGE, "not a finite number"),
    ("serve-max-message-zero", _serve("--max-message-bytes", "0"), EXIT_USAGE, "out of range"),
    ("serve-max-source-huge", _serve("--max-source-bytes", "99999999999999999999"), EXIT_USAGE, "out of range"),
    ("serve-cache-entries-negative", _serve("--cache-entries", "-1"), EXIT_USAGE, "out of range"),
    ("serve-compile-cache-zero", _serve("--compile-cache-mb", "0"), EXIT_USAGE, "out of range"),
    ("serve-bad-host", _serve("--host", "not a host!"), EXIT_USAGE, "is not an IP address or host name"),
    ("serve-host-not-an-ip", _serve("--host", "999.1.1.1"), EXIT_USAGE, "'999.1.1.1' is not an IP address"),
    ("serve-bad-metrics-host", _serve("--metrics-host", "a b"), EXIT_USAGE, "is not an IP address or host name"),
    ("serve-register-no-port", _serve("--register", "controller"), EXIT_USAGE, "is not HOST:PORT"),
    ("serve-register-port-zero", _serve("--register", "controller:0"), EXIT_USAGE, "is not HOST:PORT"),
    ("serve-bad-label", _serve("--label", "novalue"), EXIT_USAGE, "expected KEY=VALUE"),
    ("serve-bad-backend", _serve("--backend", "gpu"), EXIT_USAGE, "invalid choice: 'gpu'"),
    ("serve-unknown-hardware", _serve("--hardware", "ascend9999"), EXIT_USAGE, "unknown hardware profile"),
    ("serve-hardware-path", _serve("--hardware", "../hardware/ascend910b2"), EXIT_USAGE, "unknown hardware profile"),
    ("serve-hardware-too-long", _serve("--hardware", "x" * 5000), EXIT_USAGE, "unknown hardware profile"),
    ("serve-token-missing", _serve("--token-file", "{missing}"), EXIT_USAGE, "does not exist"),
    ("serve-token-0644", _serve("--token-file", "{token_0644}"), EXIT_USAGE, "has mode 0644"),
    ("serve-token-0640", _serve("--token-file", "{token_0640}"), EXIT_USAGE, "chmod 600"),
    ("serve-token-empty", _serve("--token-file", "{token_empty}"), EXIT_USAGE, "is empty"),
    ("serve-token-spaces", _serve("--token-file", "{token_spaces}"), EXIT_USAGE, "without spaces"),
    ("serve-token-dir", _serve("--token-file", "{token_dir}"), EXIT_USAGE, "is not a regular file"),
    ("serve-tls-cert-alone", _serve("--tls-cert", "{good_crt}"), EXIT_USAGE, "go together"),
    ("serve-tls-ca-alone", _serve("--tls-ca", "{good_crt}"), EXIT_USAGE, "needs --tls-cert"),
    ("serve-tls-garbage-cert", _serve("--tls-cert", "{garbage.pem}", "--tls-key", "{good_key}"), EXIT_USAGE,
     "not a PEM certificate"),
    ("serve-tls-half-cert", _serve("--tls-cert", "{half.pem}", "--tls-key", "{good_key}"), EXIT_USAGE,
     "not a PEM certificate"),
    ("serve-tls-garbage-key", _serve("--tls-cert", "{good_crt}", "--tls-key", "{garbage.key}"), EXIT_USAGE,
     "not a PEM private key"),
    ("serve-tls-encrypted-key", _serve("--tls-cert", "{good_crt}", "--tls-key", "{encrypted.key}"), EXIT_USAGE,
     "is encrypted"),
    ("serve-tls-mismatch", _serve("--tls-cert", "{good_crt}", "--tls-key", "{other_key}"), EXIT_USAGE,
     "does not match the certificate"),
    ("serve-tls-key-0644", _serve("--tls-cert", "{open_crt}", "--tls-key", "{open_key}"), EXIT_USAGE,
     "has mode 0644"),
    ("serve-tls-missing-cert", _serve("--tls-cert", "{missing}", "--tls-key", "{good_key}"), EXIT_USAGE,
     "does not exist"),
    ("serve-tls-expired", _serve("--tls-cert", "{expired_crt}", "--tls-key", "{expired_key}"), EXIT_USAGE,
     "expired on"),
    ("serve-tls-not-yet-valid", _serve("--tls-cert", "{future_crt}", "--tls-key", "{future_key}"), EXIT_USAGE,
     "is not valid before"),
    ("serve-tls-garbage-ca", _serve("--tls-cert", "{good_crt}", "--tls-key", "{good_key}", "--tls-ca",
                                    "{garbage.pem}"), EXIT_USAGE, "not a PEM certificate"),
    # --- hawk campaign ----------------------------------------------------------------------------------
    ("campaign-spec-missing", ["campaign", "run", "{missing}"], EXIT_USAGE, "does not exist"),
    ("campaign-spec-dir", ["campaign", "run", "{token_dir}"], EXIT_USAGE, "is a directory"),
    ("campaign-spec-latin1", ["campaign", "run", "{spec_latin1.toml}"], EXIT_USAGE, "not UTF-8"),
    *[(f"campaign-{n}", ["campaign", "run", "{spec_" + n + ".toml}"], EXIT_USAGE, needle) for n, needle in [
        ("rounds_huge", "[budget].rounds = 1e+20 is out of range"), ("rounds_zero", "rounds must be at least 1"),
        ("rounds_negative", "rounds"), ("rounds_float", "rounds must be int"), ("rounds_string", "rounds must be int"),
        ("cpr_huge", "candidates_per_round"), ("wall_nan", "wall_time_s"), ("wall_inf", "wall_time_s"),
        ("wall_negative", "must not be negative"), ("max_eval_negative", "must not be negative"),
        ("priority_huge", "priority = 99999999999 is out of range"), ("seed_negative", "seed = -1 is out of range"),
        ("temperature", "temperature"), ("llm_timeout_negative", "request_timeout_s"),
        ("llm_concurrency_huge", "max_concurrency"), ("knowledge_k_zero", "k"), ("local_huge", "local"),
        ("local_devices_zero", "local_devices"), ("proposer_negative", "offline"), ("proposer_inf", "offline"),
        ("unknown_key", "unknown keys ['colour']"), ("unknown_hardware", "ascend9999"),
        ("bad_address", "is not host:port"), ("bad_port", "is not host:port"), ("bad_toml", "spec_bad_toml"),
        ("empty", "name must be"), ("unknown_backend", "local_backend"), ("token_0644", "chmod 600"),
        ("token_missing", "does not exist"), ("tls_garbage", "not a PEM certificate"),
        ("tls_mismatch", "does not match the certificate"), ("tls_expired", "expired on"),
        ("tls_ca_garbage", "not a PEM certificate"), ("unknown_task", "no_such_task_xyz")]],
    *[(f"campaign-{verb}-{store}", ["campaign", verb, *(["some-id"] if verb != "status" else []), "--store",
                                    "{" + store + ".sqlite}"], EXIT_USAGE, "not a usable hawk results database")
      for verb in ("status", "report") for store in ("garbage", "random", "truncated")],
    ("campaign-status-foreign", ["campaign", "status", "--store", "{foreign.sqlite}"], EXIT_USAGE,
     "is not a hawk results database"),
    ("campaign-report-missing-store", ["campaign", "report", "x", "--store", "{missing}"], EXIT_USAGE,
     "no results database"),
    ("campaign-resume-bad-store", ["campaign", "resume", "x", "--store", "{garbage.sqlite}"], EXIT_USAGE,
     "not a usable hawk results database"),
    ("campaign-metrics-port", ["campaign", "run", "{spec_empty.toml}", "--metrics-port", "99999"], EXIT_USAGE,
     "99999 is not a port"),
    ("campaign-metrics-host", ["campaign", "run", "{spec_empty.toml}", "--metrics-host", "x y"], EXIT_USAGE,
     "not an IP address"),
    # --- hawk kb / tasks ----------------------------------------------------------------------------------
    ("kb-garbage-db", ["kb", "--db", "{garbage.sqlite}", "list"], EXIT_USAGE, "not a usable knowledge database"),
    ("kb-random-db", ["kb", "--db", "{random.sqlite}", "stats"], EXIT_USAGE, "not a usable knowledge database"),
    ("kb-import-missing", ["kb", "--db", "{tmp}/kb.sqlite", "import", "{missing}"], EXIT_USAGE, "no such file"),
    ("kb-import-bad", ["kb", "--db", "{tmp}/kb.sqlite", "import", "{kb.jsonl}"], EXIT_USAGE, "nothing was imported"),
    ("kb-show-unknown", ["kb", "--db", "{tmp}/kb.sqlite", "show", "kb-nope"], EXIT_USAGE, "kb-nope"),
    ("tasks-show-unknown", ["tasks", "show", "no_such_task_xyz"], EXIT_USAGE, "no_such_task_xyz"),
    ("unknown-verb", ["frobnicate"], EXIT_USAGE, "invalid choice"),
    ("unknown-flag", ["sim", "run", "k.cpp", "--no-such-flag"], EXIT_USAGE, "unrecognized arguments"),
]


def _fill(argv: list[str], files: dict[str, str], tmp: Path) -> list[str]:
    out = []
    for a in argv:
        for name, path in files.items():
            a = a.replace("{" + name + "}", path)
        out.append(a.replace("{tmp}", str(tmp)))
    return out


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 60 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("argv, code, needle", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_an_exit_code(argv: list[str], code: int, needle: str, files: dict[str, str],
                                                 tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAWK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HAWK_SIM_WORK_ROOT", files["sim_root"])
    monkeypatch.delenv("HAWK_DEBUG", raising=False)
    argv = _fill(argv, files, tmp_path)
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse exits on its own
        rc = e.code
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.strip()]
    assert "Traceback" not in err
    assert rc == code, (rc, err)
    assert len(lines) == 1, err
    assert needle in lines[0], lines[0]


def test_unexpected_errors_are_one_line_with_a_debug_hint(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    import tasks.cli

    def boom(args):
        raise RuntimeError("something we did not expect\nsecond line")

    monkeypatch.setattr(tasks.cli, "_list", boom)
    monkeypatch.delenv("HAWK_DEBUG", raising=False)
    assert main(["tasks", "list"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError" in err and "--debug" in err
    with pytest.raises(RuntimeError):
        main(["tasks", "list", "--debug"])
    monkeypatch.setenv("HAWK_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["tasks", "list"])


def test_a_taken_port_or_a_foreign_address_is_exit_3(capsys: pytest.CaptureFixture[str], files: dict[str, str],
                                                      tmp_path: Path) -> None:
    import socket

    token = tmp_path / "token"
    token.write_text("a-token-for-binding\n")
    token.chmod(0o600)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        for argv, needle in [
            (["--port", str(port)], f"cannot bind 127.0.0.1:{port}: Address already in use"),
            (["--port", "0", "--metrics-port", str(port)], f"metrics port {port}: Address already in use"),
            (["--port", "5", "--host", "192.0.2.77", "--token-file", str(token)], "cannot bind 192.0.2.77:5"),
        ]:
            rc = main(["agent", "serve", "--backend", "null", *argv])
            err = capsys.readouterr().err
            lines = [x for x in err.splitlines() if x.strip()]
            assert rc == EXIT_UNREACHABLE and len(lines) == 1 and needle in lines[0], err


def test_the_handler_maps_known_errors_to_their_codes(capsys: pytest.CaptureFixture[str]) -> None:
    import grpc

    from npu_agent.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, run_guarded

    class Unavailable(grpc.RpcError):
        def code(self):
            return grpc.StatusCode.UNAVAILABLE

        def details(self):
            return "connection refused"

    def raising(e: BaseException):
        def fn():
            raise e
        return fn

    cases = [
        (ConnectionError("could not reach the Ray cluster at 10.0.0.1:6379"), EXIT_UNREACHABLE, "Ray cluster"),
        (Unavailable(), EXIT_UNREACHABLE, "UNAVAILABLE: connection refused"),
        (FileNotFoundError(2, "No such file or directory", "/x/y"), EXIT_USAGE, "No such file or directory: /x/y"),
        (sqlite3.DatabaseError("file is not a database"), EXIT_USAGE, "not a usable database"),
        (ValueError("bad\nvalue"), EXIT_USAGE, "bad; value"),
        (SystemExit("hawk x: the message"), EXIT_USAGE, "hawk x: the message"),
        (KeyboardInterrupt(), EXIT_INTERRUPTED, "interrupted"),
        (ZeroDivisionError("oops"), EXIT_INTERNAL, "internal error: ZeroDivisionError: oops"),
    ]
    for exc, code, needle in cases:
        assert run_guarded("hawk t", raising(exc)) == code, exc
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and needle in err and "Traceback" not in err, err
    assert run_guarded("hawk t", lambda: 1) == 1 and run_guarded("hawk t", raising(SystemExit(0))) == 0


def test_another_programs_database_is_refused_and_left_unchanged(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "theirs.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE other (x INTEGER)")
    con.execute("INSERT INTO other VALUES (42)")
    con.commit()
    con.close()
    before = db.read_bytes()
    assert main(["campaign", "status", "--store", str(db)]) == EXIT_USAGE
    assert "is not a hawk results database (it holds tables other)" in capsys.readouterr().err
    assert db.read_bytes() == before
