"""The LLM client: any OpenAI-compatible chat endpoint, with bounded concurrency, retries and accounting.

We keep the openai client's own retries off and retry here, so that every attempt is counted in metrics and
the backoff is the same whatever server sits behind base_url (vLLM, SGLang, a gateway, OpenAI itself).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass

from controller.spec import LLMSettings

log = logging.getLogger(__name__)


class LLMError(RuntimeError):
    """The endpoint failed after all retries, or answered with nothing usable."""

    def __init__(self, message: str, prompt_tokens: int = 0, completion_tokens: int = 0, cost_usd: float = 0.0):
        super().__init__(message)
        self.prompt_tokens = prompt_tokens       # what the failed answer still cost
        self.completion_tokens = completion_tokens
        self.cost_usd = cost_usd


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    attempts: int
    seconds: float
    finish_reason: str = ""       # "stop", "length" (cut off at max_tokens: the caller may ask again), ...


@dataclass
class Usage:
    requests: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class LLMClient:
    """Thread-safe; at most `settings.max_concurrency` requests in flight."""

    def __init__(self, settings: LLMSettings, metrics=None) -> None:
        if not settings.configured:
            raise LLMError("LLM settings need base_url and model")
        import openai  # imported here: only LLM campaigns pay for it

        self._openai = openai
        self.settings = settings
        self._client = openai.OpenAI(base_url=settings.base_url, api_key=settings.api_key(),
                                     timeout=settings.request_timeout_s, max_retries=0)
        self._slots = threading.BoundedSemaphore(settings.max_concurrency)
        self._lock = threading.Lock()
        self.usage = Usage()
        self._metrics = metrics

    def _retryable(self, err: Exception) -> bool:
        o = self._openai
        if isinstance(err, (o.APITimeoutError, o.APIConnectionError, o.RateLimitError, o.InternalServerError)):
            return True
        return isinstance(err, o.APIStatusError) and err.status_code in (408, 409, 429) or (
            isinstance(err, o.APIStatusError) and err.status_code >= 500)

    def complete(self, system: str, user: str, *, temperature: float | None = None, seed: int | None = None) -> Completion:
        """One chat completion; retries transient failures with exponential backoff and jitter."""
        return self.chat([{"role": "system", "content": system}, {"role": "user", "content": user}],
                         temperature=temperature, seed=seed)

    def chat(self, messages: list[dict[str, str]], *, temperature: float | None = None,
             seed: int | None = None) -> Completion:
        """A completion of a whole conversation (e.g. a cut-off answer followed by "answer again, shorter")."""
        s = self.settings
        start = time.monotonic()
        last: Exception | None = None
        for attempt in range(1, s.max_retries + 2):
            try:
                with self._slots:
                    resp = self._client.chat.completions.create(
                        model=s.model,
                        messages=messages,
                        temperature=s.temperature if temperature is None else temperature,
                        max_tokens=s.max_tokens,
                        **({"seed": seed} if seed is not None else {}),
                    )
            except Exception as err:  # noqa: BLE001 - classified just below
                last = err
                self._count(failed=True)
                if not self._retryable(err) or attempt > s.max_retries:
                    break
                delay = min(30.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random())
                log.warning("LLM request failed (%s), retry %d/%d in %.1fs", err.__class__.__name__, attempt,
                            s.max_retries, delay)
                time.sleep(delay)  # outside the concurrency slot: a backing-off request holds no slot
                continue
            usage = resp.usage
            pt = int(getattr(usage, "prompt_tokens", 0) or 0)
            ct = int(getattr(usage, "completion_tokens", 0) or 0)
            cost = pt / 1000 * s.price_per_1k_prompt_usd + ct / 1000 * s.price_per_1k_completion_usd
            self._count(prompt_tokens=pt, completion_tokens=ct, cost=cost)  # an empty answer still cost tokens
            if not resp.choices or resp.choices[0].message is None or not resp.choices[0].message.content:
                raise LLMError(f"{s.base_url}: the model {s.model} returned an empty answer", pt, ct, cost)
            return Completion(text=resp.choices[0].message.content, model=resp.model or s.model, prompt_tokens=pt,
                              completion_tokens=ct, cost_usd=cost, attempts=attempt,
                              seconds=time.monotonic() - start, finish_reason=resp.choices[0].finish_reason or "")
        raise LLMError(f"{s.base_url}: request to {s.model} failed after {s.max_retries + 1} attempts: {last}")

    def _count(self, failed: bool = False, prompt_tokens: int = 0, completion_tokens: int = 0,
               cost: float = 0.0) -> None:
        with self._lock:
            self.usage.requests += 1
            self.usage.failures += int(failed)
            self.usage.prompt_tokens += prompt_tokens
            self.usage.completion_tokens += completion_tokens
            self.usage.cost_usd += cost
        if self._metrics is not None:
            self._metrics.llm_request(failed=failed, prompt_tokens=prompt_tokens,
                                      completion_tokens=completion_tokens, cost=cost)
