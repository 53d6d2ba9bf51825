"""The reference collector as a real process, once per test session.

`posture-agent serve` listens on a free loopback port with a fresh database
and prints its URL, a random admin token and one-time enrolment codes; the
fixture reads them, hands codes out one by one, reads the collector's export
with the admin token, and stops the server with SIGTERM at the end. The
binary is $POSTURE_AGENT_BIN (tests/bindings/run builds it), else it is built
with `cargo build -p posture-agent`.
"""

import json
import os
import pathlib
import queue
import re
import signal
import subprocess
import threading
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
CODES = 8
START_TIMEOUT_SECS = 60


def collector_binary():
    given = os.environ.get("POSTURE_AGENT_BIN")
    if given:
        return given
    subprocess.run(["cargo", "build", "-q", "-p", "posture-agent"], cwd=ROOT, check=True)
    # Where cargo built it: CARGO_TARGET_DIR, a cargo config, or target/.
    target = subprocess.run(
        [str(ROOT / "scripts" / "target-dir")], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    binary = pathlib.Path(target) / "debug" / "posture-agent"
    if not binary.is_file():
        raise RuntimeError(f"{binary} is missing after `cargo build -p posture-agent`; set POSTURE_AGENT_BIN")
    return str(binary)


class Collector:
    def __init__(self, url, admin_token, codes):
        self.url = url
        self.admin_token = admin_token
        self._codes = list(codes)
        self._lock = threading.Lock()

    def take_code(self):
        with self._lock:
            if not self._codes:
                raise RuntimeError(f"all {CODES} enrolment codes are used; issue more")
            return self._codes.pop(0)

    def export(self):
        """Every accepted report (GET /v1/reports/export, JSON lines)."""
        request = urllib.request.Request(
            self.url + "/v1/reports/export",
            headers={"Authorization": f"Bearer {self.admin_token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return [json.loads(line) for line in response.read().decode().splitlines() if line]


@pytest.fixture(scope="session")
def collector(tmp_path_factory):
    folder = tmp_path_factory.mktemp("collector")
    env = {k: v for k, v in os.environ.items() if k != "POSTURE_COLLECTOR_ADMIN_TOKEN"}
    log = open(folder / "stderr.log", "w")
    process = subprocess.Popen(
        [
            collector_binary(),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--issue-codes",
            str(CODES),
            "--db",
            str(folder / "c.sqlite3"),
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
    )
    lines = queue.Queue()

    def read():
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    url = token = None
    codes = []
    try:
        while len(codes) < CODES or url is None or token is None:
            try:
                line = lines.get(timeout=START_TIMEOUT_SECS)
            except queue.Empty:
                raise RuntimeError("the collector printed no codes in time") from None
            if line is None:
                raise RuntimeError(
                    f"the collector exited ({process.wait()}): {(folder / 'stderr.log').read_text()}"
                )
            if m := re.match(r"collector listening on (\S+)$", line):
                url = m.group(1)
            elif m := re.match(r"admin token: (\S+)$", line):
                token = m.group(1)
            elif m := re.match(r"enrolment code: (\S+) ", line):
                codes.append(m.group(1))
        yield Collector(url, token, codes)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
