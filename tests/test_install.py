"""The built wheel, installed into a fresh venv away from this source tree, runs the sample end to end."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["indexer", "search_web", "data/sample", "pyproject.toml", "README.md"]
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc")
QUERY = "データセンター"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def run(args: list, cwd: Path, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a command and fail the test with its output when it exits non-zero."""
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        pytest.fail(f"{' '.join(map(str, args))} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def clean_env() -> dict:
    """This environment without anything that would point Python at this source tree or its venv."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    env.pop("MINUTES_DATA_DIR", None)
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    """A wheel built from a copy of the sources and installed into a new venv, with a folder outside both."""
    tmp = tmp_path_factory.mktemp("install")
    env = clean_env()
    src = tmp / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=SKIP)
        else:
            shutil.copy2(ROOT / name, src / name)
    # Built from a copy, so no build/ or egg-info left in this tree can add or hide a file.
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", tmp / "wheels", src], tmp, env, 600)
    wheel = next((tmp / "wheels").glob("minutes-*.whl"))

    venv = tmp / "venv"
    made = subprocess.run(
        [sys.executable, "-m", "venv", venv], cwd=tmp, env=env, capture_output=True, text=True, timeout=300
    )
    if made.returncode:
        pytest.fail(
            "python -m venv failed; on Debian install the python3-venv package (apt-get install python3-venv)\n"
            + made.stdout
            + made.stderr
        )
    # The dependencies come from PyPI (through pip's cache); the venv never sees this tree.
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], tmp, env, 900)
    away = tmp / "elsewhere"
    away.mkdir()
    return {"tmp": tmp, "src": src, "wheel": wheel, "venv": venv, "cwd": away, "env": env, "data": tmp / "data"}


def minutes(built: dict, *args, data_dir: Path | None = None) -> subprocess.CompletedProcess:
    """Run the venv's `minutes` command on a data directory from a folder outside the sources."""
    command = [built["venv"] / "bin" / "minutes", "--data-dir", data_dir or built["data"], *args]
    return run(command, built["cwd"], built["env"], timeout=300)


def test_wheel_holds_every_file_of_the_packages_and_the_sample(built):
    src = built["src"]
    expected = {p.relative_to(src).as_posix() for top in ("indexer", "search_web") for p in (src / top).rglob("*")}
    expected |= {f"search_web/sample/{p.name}" for p in (src / "data" / "sample").iterdir()}
    expected = {name for name in expected if not (src / name).is_dir()} | {"search_web/sample/__init__.py"}
    names = set(zipfile.ZipFile(built["wheel"]).namelist())
    assert sorted(expected - names) == []
    assert {"indexer/search/synonyms.txt", "search_web/templates/feed.xml", "search_web/templates/sitemap.xml"} <= names
    assert len([n for n in names if n.startswith("search_web/sample/") and n.endswith(".html")]) >= 30


def test_installed_package_is_imported_from_the_venv_not_the_sources(built):
    probe = "import indexer, search_web, search_web.sample, sys; print(indexer.__file__, search_web.sample.__file__)"
    found = run([built["venv"] / "bin" / "python", "-c", probe], built["cwd"], built["env"]).stdout.split()
    assert all(Path(f).resolve().is_relative_to(built["venv"].resolve()) for f in found), found


def test_demo_index_and_search_from_the_installed_package(built):
    demo = minutes(built, "demo", "--no-serve")
    assert "failed" not in demo.stderr, demo.stderr
    shown = re.search(r"sample: (\d+) meetings, (\d+) utterances", demo.stdout)
    assert shown and int(shown[1]) >= 30 and int(shown[2]) > 100, demo.stdout
    minutes(built, "index")
    found = json.loads(minutes(built, "search", QUERY, "--json").stdout)
    assert found["total"] > 0 and all("<mark>" in hit["snippet"] for hit in found["hits"])
    # The bundled synonyms apply: BCP also finds 業務継続計画, which the sample spells out.
    assert json.loads(minutes(built, "search", "BCP", "--json").stdout)["total"] > 0
    assert json.loads(minutes(built, "search", "BCP", "--no-expand", "--json").stdout)["total"] == 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    """GET a URL on this machine (never through a proxy) and return status and body."""
    try:
        with NO_PROXY.open(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def test_ingest_index_and_serve_from_the_installed_package(built):
    data = built["tmp"] / "data-serve"
    ingested = minutes(built, "ingest", built["src"] / "data" / "sample", data_dir=data)
    assert re.search(r"parsed (\d+) pages into \1 meetings", ingested.stdout), ingested.stdout + ingested.stderr
    minutes(built, "index", data_dir=data)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (built["tmp"] / "serve.log").open("w")
    command = [built["venv"] / "bin" / "minutes", "--data-dir", data, "serve", "--port", str(port)]
    server = subprocess.Popen(command, cwd=built["cwd"], env=built["env"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"minutes serve exited {server.returncode}:\n{(built['tmp'] / 'serve.log').read_text()}")
            try:
                fetch(base + "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"minutes serve did not answer:\n{(built['tmp'] / 'serve.log').read_text()}")
                time.sleep(0.3)
        q = urllib.parse.quote(QUERY)
        status, page = fetch(f"{base}/?q={q}")
        assert status == 200 and "<mark>" in page and QUERY in page, page[:2000]
        status, css = fetch(f"{base}/static/style.css")
        assert status == 200 and "{" in css
        status, feed = fetch(f"{base}/feed?q={q}")
        assert status == 200 and "<feed" in feed and "<entry>" in feed, feed[:2000]
        status, sitemap = fetch(f"{base}/sitemap.xml")
        assert status == 200 and "<urlset" in sitemap and sitemap.count("<loc>") >= 30, sitemap[:2000]
        status, body = fetch(f"{base}/api/v1/search?any={q}")
        assert status == 200 and json.loads(body)["numberOfRecords"] > 0, body[:2000]
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
