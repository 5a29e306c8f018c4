"""A CANN runtime error report (the launcher's stderr, aclGetRecentErrMsg, a plog excerpt) as the same
hawk.v1.HardwareException the twin raises (npu_agent/simnpu/runtime/checker.cpp `fault`), so a device fault and
a twin fault read alike to the knowledge and the reports.

Formats followed (public docs and issue logs; representative texts are written in the tests):
- ACL runtime return codes 5070xx (rt_error_codes.h; hiascend "aclError" return code list,
  .../API/runtimeapi/aclcppdevg_03_6666.html): 507014 aicore timeout, 507015 aicore exception, 507016 aicore
  trap exception, 507034 vector core timeout, 507035 vector core exception, 507036 vector core trap exception;
- the device envelope in the plog / EZ9999 block: "The error from device(chipId:N, dieId:N), serial number is N,
  there is an aivec error exception | an exception of aivec error | an aicore error exception, core id is N,
  error code = 0x..., dump info: pc start: ..." and "Kernel task happen error, retCode=0x31, [vector core
  exception]" (docs/sglang Ascend FAQ; hiascend forum threads; the reference notes, /work/shared/reference §4);
- error words: 0x10 "illegal instruction, usually caused by unaligned UB addresses" (hiascend
  atlasaicoreerr_16_0010), "VEC instruction error: the ub address out of bounds" (0x4000000000000000),
  "The DDR address of the MTE instruction is out of range";
- the kernel's own source line where the report gives one: an Ascend C assert / mssanitizer / CPU-debug line
  `<kernel file>:<line>` or `<kernel file> line <n>` (the `[FILE:...][LINE:...]` tags of the runtime name the
  runtime's own C++ source and are only used when they name `kernel_file`).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from hawk.v1 import result_pb2

# ACL return codes of device faults (rt_error_codes.h) -> (core type, timeout?)
DEVICE_CODES: dict[str, tuple[int, bool]] = {
    "507014": (result_pb2.AIC, True),    # ACL_ERROR_RT_AICORE_TIMEOUT
    "507015": (result_pb2.AIC, False),   # ACL_ERROR_RT_AICORE_EXCEPTION
    "507016": (result_pb2.AIC, False),   # ACL_ERROR_RT_AICORE_TRAP_EXCEPTION
    "507034": (result_pb2.AIV, True),    # ACL_ERROR_RT_VECTOR_CORE_TIMEOUT
    "507035": (result_pb2.AIV, False),   # ACL_ERROR_RT_VECTOR_CORE_EXCEPTION
    "507036": (result_pb2.AIV, False),   # ACL_ERROR_RT_VECTOR_CORE_TRAP_EXCEPTION
}
_DEFAULT_CODE = {(result_pb2.AIV, True): "507034", (result_pb2.AIV, False): "507035",
                 (result_pb2.AIC, True): "507014", (result_pb2.AIC, False): "507015"}
UNCLASSIFIED = "DEVICE_EXCEPTION"  # a device fault the report does not let us classify further

_CODE = re.compile(r"(?<!\d)(5070\d\d)(?!\d)")
_CORE_ID = re.compile(r"core id is\s*(\d+)", re.I)
_ERROR_WORD = re.compile(r"error code\s*=\s*(0x[0-9a-fA-F]+|\d+)\b", re.I)
_RETCODE = re.compile(r"retCode\s*=\s*(0x[0-9a-fA-F]+)", re.I)
_AIV = re.compile(r"aivec error|exception of aivec|vector core (exception|timeout|trap)|AIV kernel happen error", re.I)
_AIC = re.compile(r"aicore error|exception of aicore|aicore (exception|timeout|trap)|ai core (exception|error)", re.I)
_TIMEOUT = re.compile(r"(vector core|aicore|ai core|kernel|task) (execution )?time(d)? ?out|timeout", re.I)
_LOCAL_OOB = re.compile(r"\b(ub|l1|l0a|l0b|l0c|bt|fb) address (is )?out of (bounds|range)", re.I)
_GM_OOB = re.compile(r"(ddr|gm|global memory) address[^.;\n]*out of range|out of range[^.;\n]*\b(ddr|gm)\b", re.I)
_MISALIGNED = re.compile(r"unaligned|not aligned|misaligned|align(ment)? (error|fault|check failed)", re.I)
_KIND_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("UNSUPPORTED_DTYPE", re.compile(r"failed to check dtype|unsupported (data ?type|dtype)", re.I)),
    ("INVALID_PARAMETER", re.compile(r"check v\w+ instr failed|invalid (param|parameter|argument)", re.I)),
    ("TOO_MANY_BUFFERS", re.compile(r"buffer number exceeds", re.I)),
    ("DEQUE_EMPTY", re.compile(r"deque from an empty queue", re.I)),
    ("WRONG_CORE_TYPE", re.compile(r"is not available on an? (aiv|aic)", re.I)),
)
# What the envelope says after the error word, the head the twin puts into its message.
_HEADS = re.compile(r"(VEC|MTE|CUBE|FIXP|SCALAR) instruction error:[^\n.;\[]*|The DDR address of the MTE "
                    r"instruction is out of range|Illegal instruction[^\n.;\[]*|\[(vector core|aicore) "
                    r"(exception|timeout|trap exception)\]", re.I)


def _line(text: str, kernel_file: str | None) -> int:
    """The kernel source line the report names (0 when none): `<file>:<line>`, `<file> line <n>`, or a
    [FILE:<file>][LINE:<n>] tag naming the kernel file itself."""
    if kernel_file:
        name = re.escape(PurePosixPath(kernel_file).name)
        forms = [rf"(?<![\w.-]){name}:(\d+)", rf"(?<![\w.-]){name},? line:? ?(\d+)",
                 rf"\[FILE:[^\]]*?{name}\]\[LINE:(\d+)\]"]
    else:  # any kernel-looking source; never the runtime's own bracket tags
        forms = [r"(?<!\[FILE:)(?<![\w.-])[\w./-]+\.(?:cpp|asc|cce|h|hpp):(\d+)(?!\])"]
    for form in forms:
        m = re.search(form, text, re.I)
        if m:
            return int(m.group(1))
    return 0


def _kind(text: str, timeout: bool, error_word: str) -> str:
    if timeout:
        return "DEADLOCK"  # the twin's class of a core that never finished (a wait without its set)
    m = _LOCAL_OOB.search(text)
    if m:
        return f"{m.group(1).upper()}_OUT_OF_BOUNDS"
    if _GM_OOB.search(text):
        return "GM_OUT_OF_BOUNDS"
    for kind, pattern in _KIND_WORDS:
        if pattern.search(text):
            return kind
    if _MISALIGNED.search(text) or error_word.lower() == "0x10":
        return "MISALIGNED_ADDRESS"  # 0x10: illegal instruction, usually an unaligned UB address (_16_0010)
    return UNCLASSIFIED


def parse_error_report(text: str, *, kernel_file: str | None = None) -> result_pb2.HardwareException | None:
    """The HardwareException a CANN error report describes, or None when the text holds no device error.

    Core type: the report's words (aivec / vector core: AIV; aicore: AIC), else the ACL code's. The ACL code is
    the one given, else the documented one for the core type and fault (507035/507034/507015/507014). block_id is
    the reported core id (the physical core: the device names no logical block)."""
    if not text:
        return None
    codes = _CODE.findall(text)
    device = [c for c in codes if c in DEVICE_CODES]
    aiv, aic = _AIV.search(text), _AIC.search(text)
    if not device and not aiv and not aic:
        return None  # a host-side or unrelated error (no device fault named)
    if aiv and aic:  # both named: the earlier mention is the faulting core's envelope
        core = result_pb2.AIV if aiv.start() < aic.start() else result_pb2.AIC
    elif aiv or aic:
        core = result_pb2.AIV if aiv else result_pb2.AIC
    else:
        core = DEVICE_CODES[device[0]][0]
    timeout = DEVICE_CODES[device[0]][1] if device else bool(_TIMEOUT.search(text))
    code = device[0] if device else _DEFAULT_CODE[(core, timeout)]
    word = _ERROR_WORD.search(text) or _RETCODE.search(text)
    error_word = word.group(1) if word else ""
    if error_word and not error_word.lower().startswith("0x"):
        error_word = hex(int(error_word))
    core_id = _CORE_ID.search(text)
    head = _HEADS.search(text)
    unit = "aivec" if core == result_pb2.AIV else "aicore"
    message = (f"there is an {unit} error exception, core id is {core_id.group(1) if core_id else '?'}, error code "
               f"= {error_word or '?'}: {head.group(0).strip() if head else 'device exception (ACL ' + code + ')'}")
    return result_pb2.HardwareException(
        code=code, error_code=error_word, kind=_kind(text, timeout, error_word), message=message,
        block_id=int(core_id.group(1)) if core_id else 0, core_type=core, source_line=_line(text, kernel_file))


__all__ = ["DEVICE_CODES", "UNCLASSIFIED", "parse_error_report"]
