"""The webhook notifier a callback pod runs: POST a JSON payload, retrying on 5xx.

Standard library only: callback pods run it as `python -c <this file>` in the task
image (any image with python3), so it must import nothing from kairflow.
`python -m kairflow.notify` runs it too. Input, from the environment:

- KAIRFLOW_WEBHOOK_URL: where to POST (often from a Secret key);
- KAIRFLOW_WEBHOOK_PAYLOAD: the JSON payload, base64-encoded (so that neither the
  kubelet's variable expansion in env values nor quoting can change it);
- KAIRFLOW_WEBHOOK_RETRIES: retries on HTTP 5xx, 429 and network errors (default 3);
- KAIRFLOW_WEBHOOK_HEADER_<Name>: one header each (from a Secret through envFrom).

Exit 0 once a 2xx answer comes; else 1 with one line saying why. The URL is never
printed whole: a Slack webhook URL is a secret.
"""

import base64
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import TextIO

HEADER_PREFIX = "KAIRFLOW_WEBHOOK_HEADER_"
TIMEOUT_SECONDS = 30.0


def where(url: str) -> str:
    """scheme://host[:port] only, for messages."""
    parts = urllib.parse.urlsplit(url)
    return (
        parts.scheme
        + "://"
        + (parts.hostname or "?")
        + (":" + str(parts.port) if parts.port else "")
    )


def headers_from(env: Mapping[str, str]) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "User-Agent": "kairflow-notify"}
    for name, value in env.items():
        if name.startswith(HEADER_PREFIX) and len(name) > len(HEADER_PREFIX):
            headers[name[len(HEADER_PREFIX) :]] = value
    return headers


def post(url: str, payload: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
    """(status, text of the answer); urllib raises HTTPError for non-2xx answers."""
    request = urllib.request.Request(url, data=payload, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            return int(answer.status), answer.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2000).decode("utf-8", "replace")


def send(
    env: Mapping[str, str],
    sleep: Callable[[float], None] = time.sleep,
    out: TextIO = sys.stdout,
) -> int:
    """Returns the exit code."""
    url = env.get("KAIRFLOW_WEBHOOK_URL", "")
    if not url.startswith(("http://", "https://")):
        print("webhook: KAIRFLOW_WEBHOOK_URL must be an http(s) URL", file=out)
        return 1
    try:
        payload = base64.b64decode(env.get("KAIRFLOW_WEBHOOK_PAYLOAD", ""), validate=True)
    except ValueError:
        print("webhook: KAIRFLOW_WEBHOOK_PAYLOAD is not base64", file=out)
        return 1
    retries = int(env.get("KAIRFLOW_WEBHOOK_RETRIES") or "3")
    headers = headers_from(env)
    target = where(url)
    for attempt in range(retries + 1):
        last = attempt == retries
        try:
            status, text = post(url, payload, headers)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            print("webhook: POST " + target + " failed: " + str(reason), file=out)
            if last:
                return 1
        else:
            if 200 <= status < 300:
                print("webhook: POST " + target + ": HTTP " + str(status), file=out)
                return 0
            detail = text.strip().splitlines()[0][:200] if text.strip() else ""
            print(
                "webhook: POST "
                + target
                + ": HTTP "
                + str(status)
                + (": " + detail if detail else ""),
                file=out,
            )
            if last or not (status >= 500 or status == 429):
                return 1  # a 4xx is the request's fault: sending it again changes nothing
        sleep(min(2.0**attempt, 30.0))
    return 1


if __name__ == "__main__":
    sys.exit(send(dict(os.environ)))
