"""The benchmark's HTTP section: the app under waitress on 127.0.0.1, one client, each query once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench_stats import latency_summary, measure

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mib(pid: int) -> float:
    """Return a process's peak resident memory (VmHWM) in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def paths_for(query) -> tuple[str, str]:
    """Return the results page path and the JSON API path of a benchmark query."""
    page = {"q": query.q}
    api = {"any": query.q, "maximumRecords": 20, "recordPacking": "json"}
    if query.date_from:
        page.update({"from": query.date_from.isoformat(), "until": query.date_until.isoformat()})
        api.update({"from": query.date_from.isoformat(), "until": query.date_until.isoformat()})
    return "/?" + urllib.parse.urlencode(page), "/api/v1/search?" + urllib.parse.urlencode(api)


def start_server(
    data_dir: Path, threads: int = 16, log=subprocess.DEVNULL, workers: int = 1, env: dict | None = None
) -> tuple[subprocess.Popen, str]:
    """Start the app over data_dir under waitress (one process), or gunicorn with `workers` processes
    of `threads` threads each; return the server process and its base url once it answers.
    Its log goes to `log` (a file: a pipe nobody reads fills up and stops the server mid-run)."""
    # Every client here is 127.0.0.1: the per-client rate limit would answer most of them 429.
    env = {**os.environ, "MINUTES_DATA_DIR": str(data_dir), "MINUTES_RATE_LIMIT_PER_MINUTE": "0", **(env or {})}
    port = free_port()
    if workers > 1:
        command = [
            str(BIN / "gunicorn"),
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--worker-class=gthread",
            "search_web:create_app()",
        ]
    else:
        command = [
            str(BIN / "waitress-serve"),
            f"--listen=127.0.0.1:{port}",
            f"--threads={threads}",
            "--call",
            "search_web:create_app",
        ]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/", timeout=30).read()
            return server, base
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("the web server exited at start") from None
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the web server did not answer within 60 s")


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU time in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, quiet_seconds: float = 1.0, limit: float = 120.0) -> None:
    """Wait until a process has used no CPU for quiet_seconds (its read-ahead has finished)."""
    deadline = time.monotonic() + limit
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(quiet_seconds)
        now = cpu_seconds(pid)
        if now - last < 0.05 * quiet_seconds:
            return
        last = now


def http_latency(data_dir: Path, queries: list, warmup: list) -> dict:
    """Time each query once through the results page, then on a fresh server through the JSON API
    (one server for both would answer the API from the page's cached result)."""
    report: dict = {"page": {}, "api": {}, "peak_rss_mib": 0.0}
    for target, index in (("page", 0), ("api", 1)):
        server, base = start_server(data_dir)
        try:
            for query in warmup:
                urllib.request.urlopen(base + paths_for(query)[index], timeout=60).read()
            wait_until_idle(server.pid)
            timings: dict[str, list[float]] = {}
            for query in queries:
                path = paths_for(query)[index]
                seconds, _ = measure(
                    lambda base=base, path=path: urllib.request.urlopen(base + path, timeout=60).read()
                )
                timings.setdefault(query.label, []).append(seconds)
            report["peak_rss_mib"] = max(report["peak_rss_mib"], peak_rss_mib(server.pid))
        finally:
            server.terminate()
            server.wait(timeout=10)
        report[target] = {label: latency_summary(values) for label, values in timings.items()}
    return report
