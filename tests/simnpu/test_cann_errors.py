"""CANN runtime error reports -> the twin's HardwareException classes, offline.

The texts below are written here, following the documented formats (not copied from any log):
- ACL return codes: hiascend "aclError return codes" (CANN API reference, runtimeapi/aclcppdevg_03_6666.html)
  and rt_error_codes.h: 507014 aicore timeout, 507015 aicore exception, 507034 vector core timeout, 507035
  vector core exception;
- the device envelope "The error from device(chipId:.., dieId:..), serial number is .., there is an aivec error
  exception, core id is .., error code = 0x.., dump info: ..." with its [FUNC:][FILE:][LINE:] tags, preceded by
  EZ9999 / EH9999 (Ascend log reference; the sglang Ascend FAQ quotes the same envelope);
- "Kernel task happen error, retCode=0x31, [vector core exception]" and "rtStreamSynchronize execute failed,
  reason=[vector core timeout]" (runtime error_message_manage reasons);
- error word 0x10 "illegal instruction, usually unaligned UB addresses" (hiascend atlasaicoreerr_16_0010).
Then the parity check: the twin's own exception messages, wrapped as the runtime wraps them, parse into the
exception the twin raised."""

from __future__ import annotations

import pytest

from hawk.v1 import result_pb2
from npu_agent.backends.cann.errors import UNCLASSIFIED, parse_error_report
from npu_agent.simnpu import Twin
from npu_agent.taskspec import generate_inputs
from tests.simnpu.helpers import kernel_source, task, tensor

S = result_pb2


def envelope(unit: str, core_id: int, word: str, chip: int = 0) -> str:
    return (f"EZ9999: Inner Error!\nEZ9999: [PID: 31337] 2026-12-06-21:40:00.123.456 The error from device("
            f"chipId:{chip}, dieId:0), serial number is 2, there is an {unit} error exception, core id is {core_id}, "
            f"error code = {word}, dump info: pc start: 0x124000000000, current: 0x124000000a10, vec error info: "
            f"0x1f00000000, mte error info: 0x3000000091, ifu error info: 0x0, ccu error info: 0x0, cube error info: "
            f"0, biu error info: 0, aic error mask: 0x65000200d000288, para base: 0x124100200000."
            f"[FUNC:ProcessStarsCoreErrorInfo][FILE:device_error_proc.cc][LINE:1152]\n")


UB_OOB = (envelope("aivec", 5, "0x4000000000000000")
          + "EZ9999: VEC instruction error: the ub address out of bounds.[FUNC:PrintCoreInfo][FILE:device_error_core"
            "_proc.cc][LINE:350]\n[ERROR] RUNTIME(31337,add_custom):2026-12-06-21:40:00.200 Kernel task happen "
            "error, retCode=0x31, [vector core exception].\n"
            "[ERROR] aclrtSynchronizeStream failed, error code 507035\n")
MISALIGNED = (envelope("aivec", 0, "0x10")
              + "Illegal instruction, which is usually caused by unaligned UB addresses.\n"
                "RuntimeError: ACL stream synchronize failed, error code:507035\n")
GM_OOB = (envelope("aivec", 3, "0x95") + "The DDR address of the MTE instruction is out of range.\n"
          "aclrtSynchronizeDevice failed, error code 507035\n")
AIC_L1 = (envelope("aicore", 1, "0x4000000000000000") + "EZ9999: MTE instruction error: the l1 address out of bounds.\n"
          "Kernel task happen error, retCode=0x2a, [aicore exception].\naclrtSynchronizeStream failed: 507015\n")
VEC_TIMEOUT = ("EH9999: Inner Error!\nrtStreamSynchronize execute failed, reason=[vector core timeout]"
               "[FUNC:FuncErrorReason][FILE:error_message_manage.cc][LINE:53]\n"
               "EH9999: wait for compute device to finish failed, runtime result = 507034.[FUNC:ReportCallError]"
               "[FILE:log_inner.cpp][LINE:161]\n")
AIC_TIMEOUT = "[ERROR] Kernel task happen error, retCode=0x25, [aicore timeout].\nsynchronize failed: 507014\n"
ASSERT_LINE = (envelope("aivec", 2, "0x800000")
               + "[ASSERT] /home/user/op/add_custom.cpp:57: Assertion `tileLength % 16 == 0' failed\n"
                 "aclrtSynchronizeStream failed, error code 507035\n")


@pytest.mark.parametrize("text, want", [
    (UB_OOB, ("507035", "0x4000000000000000", "UB_OUT_OF_BOUNDS", S.AIV, 5, "the ub address out of bounds")),
    (MISALIGNED, ("507035", "0x10", "MISALIGNED_ADDRESS", S.AIV, 0, "Illegal instruction")),
    (GM_OOB, ("507035", "0x95", "GM_OUT_OF_BOUNDS", S.AIV, 3, "DDR address of the MTE instruction")),
    (AIC_L1, ("507015", "0x4000000000000000", "L1_OUT_OF_BOUNDS", S.AIC, 1, "the l1 address out of bounds")),
    (VEC_TIMEOUT, ("507034", "", "DEADLOCK", S.AIV, 0, "[vector core timeout]")),
    (AIC_TIMEOUT, ("507014", "0x25", "DEADLOCK", S.AIC, 0, "[aicore timeout]")),
    (ASSERT_LINE, ("507035", "0x800000", UNCLASSIFIED, S.AIV, 2, "device exception")),
])
def test_documented_reports_map_to_the_twins_classes(text: str, want: tuple) -> None:
    e = parse_error_report(text)
    assert e is not None
    assert (e.code, e.error_code, e.kind, e.core_type, e.block_id) == want[:5], e
    assert want[5] in e.message and e.message.startswith("there is an ")
    assert e.source_line == (57 if text is ASSERT_LINE else 0)  # never the runtime's own [FILE:][LINE:] tags


def test_kernel_source_line_from_the_report() -> None:
    assert parse_error_report(ASSERT_LINE, kernel_file="op_kernel/add_custom.cpp").source_line == 57
    assert parse_error_report(ASSERT_LINE, kernel_file="other.cpp").source_line == 0
    tagged = UB_OOB + "[ERROR] check failed [FILE:add_custom.cpp][LINE:88]\n"
    assert parse_error_report(tagged, kernel_file="add_custom.cpp").source_line == 88
    assert parse_error_report(tagged).source_line == 0  # bracket tags are the runtime's unless they name the kernel


def test_code_alone_and_words_alone() -> None:
    e = parse_error_report("aclrtSynchronizeStream failed, error code 507015")
    assert (e.code, e.core_type, e.kind) == ("507015", S.AIC, UNCLASSIFIED)
    e = parse_error_report("there is an exception of aivec error, core id is 23, error code = 0, dump info: ...")
    assert (e.code, e.core_type, e.block_id, e.error_code) == ("507035", S.AIV, 23, "0x0")


@pytest.mark.parametrize("text", ["", "aclInit failed, error code 100002", "ERROR: 507899 is not a code",
                                  "model load failed: 507011 without a core", "timeout waiting for the lease",
                                  # a successful run under msprof op: its own lines name cores, never a fault
                                  "msprof op: collecting AIV kernel add_custom (block dim 8) on device 0\n"
                                  "AI Core frequency 1800 MHz; aicore and vector core data saved in OPPROF_1_X\n"
                                  "hawk-cann-stage: done\n"])
def test_no_device_error_is_none(text: str) -> None:
    assert parse_error_report(text) is None


# --------------------------------------------------------------------------- parity with the twin's own faults
@pytest.mark.parametrize("kernel", ["ub_access.cpp", "misaligned.cpp", "gm_oob.cpp", "l1_overflow.cpp",
                                    "deadlock.cpp"])
def test_twin_fault_messages_parse_into_the_twins_exception(twin: Twin, kernel: str) -> None:
    spec = task("fault_kernel", [tensor("x", [256])], [tensor("z", [256])], block_dim=4)
    built = twin.compile(kernel_source(kernel), spec.kernel_entry)
    assert built.status == S.OK, built.message
    r = twin.run(built.binary, spec, generate_inputs(spec, 7))
    assert r.status == S.HARDWARE_EXCEPTION and r.exception is not None, r.message
    want = r.exception
    # As the runtime reports it: the envelope line, then the synchronize call's ACL code.
    got = parse_error_report(f"EZ9999: {want.message}\naclrtSynchronizeStream failed, error code {want.code}\n")
    assert (got.code, got.error_code, got.kind, got.core_type) == \
        (want.code, want.error_code, want.kind, want.core_type), (got, want)
