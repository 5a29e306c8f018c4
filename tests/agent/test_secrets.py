"""Secrets stay secret: token and key files must be private, nothing a candidate's owner gets back (or the
controller stores) holds an agent secret, metrics listen on loopback unless told otherwise."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from hawk.v1 import result_pb2
from npu_agent import secrets
from npu_agent.auth import TlsFiles, check_validity, read_token_file
from npu_agent.client import AgentClient
from tests.agent.helpers import add_task
from tests.agent.pki import TestPki

TOKEN = "farm-token-7f3a9c1e5b2d4a60"


@pytest.fixture(autouse=True)
def _fresh_registry():
    secrets.clear()
    yield
    secrets.clear()


def _token_file(tmp_path: Path, mode: int, text: str = TOKEN + "\n") -> Path:
    f = tmp_path / f"token-{mode:o}"
    f.write_text(text)
    f.chmod(mode)
    return f


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o700 | 0o044])
def test_a_token_file_others_can_read_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    f = _token_file(tmp_path, mode)
    with pytest.raises(ValueError) as e:
        read_token_file(f)
    msg = str(e.value)
    assert str(f) in msg and f"{mode & 0o777:04o}" in msg and f"chmod 600 {f}" in msg and "\n" not in msg


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_private_token_file_is_read_and_registered(tmp_path: Path, mode: int) -> None:
    assert read_token_file(_token_file(tmp_path, mode)) == TOKEN
    assert secrets.scrub(f"x {TOKEN} y") == "x [redacted] y"


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_a_token_file_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    f = _token_file(tmp_path, 0o600)
    os.chown(f, 65534, 65534)
    with pytest.raises(ValueError, match="is owned by uid 65534"):
        read_token_file(f)


def test_a_tls_key_others_can_read_is_refused(tmp_path: Path) -> None:
    pki = TestPki(tmp_path)
    pem = pki.issue("agent", server=True)
    TlsFiles(pem.cert, pem.key).validate()
    pem.key.chmod(0o644)
    with pytest.raises(ValueError, match=r"has mode 0644.*chmod 600"):
        TlsFiles(pem.cert, pem.key).validate()


def test_the_scrub_catches_raw_hex_and_base64_forms_everywhere_in_a_result() -> None:
    secrets.register(TOKEN)
    key = os.urandom(32)
    secrets.register(key)
    hexed = TOKEN.encode().hex()
    b64 = base64.b64encode(TOKEN.encode()).decode().rstrip("=")
    res = result_pb2.Result(
        status=result_pb2.COMPILE_ERROR, message=f"error: {TOKEN}", log_tail=f"a {hexed} b {b64} c {key.hex()}",
        diagnostics=[result_pb2.CompilerDiagnostic(severity="error", line=1, message=f"#error {TOKEN}")])
    res.hardware_exception.message = f"at {TOKEN.upper().lower()}"
    res.numeric.output_name = "z"
    secrets.scrub_message(res)
    text = str(res)
    for leaked in (TOKEN, hexed, b64, key.hex()):
        assert leaked not in text
    assert res.message == "error: [redacted]" and res.diagnostics[0].message == "#error [redacted]"
    assert res.log_tail == "a [redacted] b [redacted] c [redacted]" and res.numeric.output_name == "z"


def test_pem_key_lines_are_scrubbed(tmp_path: Path) -> None:
    pki = TestPki(tmp_path)
    pem = pki.issue("agent", server=True)
    TlsFiles(pem.cert, pem.key).validate()
    body = [x for x in pem.key.read_text().splitlines() if not x.startswith("-----")]
    assert body and all(secrets.scrub(f"note: {line}") == "note: [redacted]" for line in body if len(line) >= 16)


def test_secret_looking_environment_values_are_registered() -> None:
    env = {"OPENAI_API_KEY": "sk-abcdef0123456789", "HAWK_SUITE_SECRET": "0badc0ffee0badc0ffee", "PATH": "/usr/bin:/bin",
           "MY_TOKEN": "short", "HOME": "/root/somewhere", "RAY_AUTH_MODE": "disabledforever",
           "TOKEN_FILE": "/etc/hawk/token-file-path"}
    assert sorted(secrets.register_environment(env)) == ["HAWK_SUITE_SECRET", "OPENAI_API_KEY"]
    assert secrets.scrub("k=sk-abcdef0123456789 p=/usr/bin:/bin s=0badc0ffee0badc0ffee") == \
        "k=[redacted] p=/usr/bin:/bin s=[redacted]"


def test_short_or_empty_values_are_not_registered() -> None:
    secrets.register("")
    secrets.register("abc")
    assert secrets.registered() == 0 and secrets.scrub("abc") == "abc"


def test_an_expired_certificate_names_its_date_and_an_override_warns(tmp_path: Path) -> None:
    import time

    pki = TestPki(tmp_path)
    pem = pki.issue("agent", server=True)
    later = time.time() + 3 * 86400  # the test PKI's certificates are valid for one day
    with pytest.raises(ValueError, match=r"expired on .* GMT.*--allow-expired-cert"):
        check_validity(pem.cert, now=later)
    [warning] = check_validity(pem.cert, allow_expired=True, now=later)
    assert "expired on" in warning
    [soon] = check_validity(pem.cert)  # valid for a day: within the 14-day warning
    assert "expires on" in soon


def test_the_controller_never_stores_a_secret_it_knows(tmp_path: Path) -> None:
    from controller.store import ResultsStore

    read_token_file(_token_file(tmp_path, 0o600))
    store = ResultsStore(tmp_path / "results.sqlite")
    cid = store.create_campaign("c", "", "ascend910b2")
    cand_id = store.add_candidate(cid, "t", "h", 0, "src", "sh", "offline")
    res = result_pb2.Result(status=result_pb2.COMPILE_ERROR, message=f"leak {TOKEN}", log_tail=TOKEN)
    assert store.record_evaluation(cand_id, res)
    store.close()
    assert TOKEN.encode() not in (tmp_path / "results.sqlite").read_bytes()
    ev = ResultsStore(tmp_path / "results.sqlite").evaluation(cand_id)
    assert ev.message == "leak [redacted]" and ev.result.log_tail == "[redacted]"
    assert res.message == f"leak {TOKEN}"  # the caller's message is not modified


def test_agent_metrics_bind_loopback_even_when_the_agent_serves_all_interfaces(start_agent) -> None:
    agent = start_agent(token=TOKEN, metrics_port=0)
    assert agent.host == "0.0.0.0"
    assert agent.metrics._http.server_address[0] == "127.0.0.1"
    agent2 = start_agent(token=TOKEN, metrics_port=0, metrics_host="0.0.0.0")  # an explicit address is honoured
    assert agent2.metrics._http.server_address[0] == "0.0.0.0"


def test_controller_metrics_default_to_loopback() -> None:
    import inspect

    from controller.cli import build_parser
    from controller.farm import run_campaign

    for verb in (["run", "spec.toml"], ["resume", "some-id"]):
        assert build_parser().parse_args(["campaign", *verb]).metrics_host == "127.0.0.1"
    assert inspect.signature(run_campaign).parameters["metrics_host"].default == "127.0.0.1"
    assert build_parser().parse_args(["agent", "serve", "--port", "0"]).metrics_host == "127.0.0.1"


# --- end to end: a candidate that gets hold of the token cannot return it -------------------------------
@pytest.fixture(scope="module")
def simnpu_agent_with_token():
    from npu_agent.pipeline import StageTimeouts
    from npu_agent.server import Agent, AgentConfig

    work = Path(tempfile.mkdtemp(prefix="hawk-secrets-"))
    work.chmod(0o711)
    token_file = work / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    agent = Agent(AgentConfig(backend="simnpu", devices=1, compile_workers=1, work_dir=work,
                              token=read_token_file(token_file),
                              timeouts=StageTimeouts(compile_s=120, verify_s=30, profile_s=60))).start()
    yield agent, token_file
    agent.stop()
    shutil.rmtree(work, ignore_errors=True)


def test_a_candidate_cannot_get_the_token_back(simnpu_agent_with_token) -> None:
    agent, token_file = simnpu_agent_with_token
    secrets.register(TOKEN)  # the autouse fixture cleared the registry the agent filled at start
    hexed = TOKEN.encode().hex()
    candidates = {
        # The token readable from the candidate's own op-project directory (the worst case for the scrub).
        "own-file": {"add_custom.cpp": '#include "leak.h"\nextern "C" __global__ __aicore__ void add_custom('
                     'GM_ADDR x, GM_ADDR y, GM_ADDR z) {}\n', "leak.h": f"{TOKEN}\n"},
        "error-directive": {"kernel.cpp": f"#error {TOKEN} {hexed}\n"},
        "static-assert": {"kernel.cpp": f'static_assert(false, "{TOKEN}");\n'},
        # The token file itself: the sandbox must keep it out of reach, the scrub catches it if not.
        "token-file": {"kernel.cpp": f'#include "{token_file}"\n'},
    }
    with AgentClient(agent.address, token=TOKEN) as c:
        h = c.put_task(add_task())[0]
        for name, files in candidates.items():
            src = files["kernel.cpp"] if list(files) == ["kernel.cpp"] else files
            res = c.evaluate(h, src)
            text = str(res)
            assert res.status == result_pb2.COMPILE_ERROR, (name, res.status, res.message)
            assert TOKEN not in text and hexed not in text, (name, text)
            if name != "token-file":
                assert "[redacted]" in text, (name, text)
        cached = c.evaluate(h, candidates["error-directive"]["kernel.cpp"])
        assert cached.cached and TOKEN not in str(cached)
