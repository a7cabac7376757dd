"""``make lighthouse``: Lighthouse's mobile performance score of the chapter pages.

    python scripts/lighthouse.py SITE_DIR [PAGE ...]

Serves SITE_DIR on 127.0.0.1 gzipped, as GitHub Pages serves it, and runs the
pinned npm Lighthouse (tools/lighthouse, mobile preset: simulated slow 4G and a
4x slower CPU) with the system Chromium (``$CHROMIUM`` or chromium; no browser
is downloaded) on every chapter of both editions, or on the given pages
(``/transformer/``, ``/en/rnn/``); ``LIGHTHOUSE_REPORTS=DIR`` keeps the full JSON
report of every run there. Each page is measured five times (``LIGHTHOUSE_RUNS``)
and each number is the median over the runs, as Lighthouse CI aggregates runs;
Lighthouse's notes on variability find the median of five about half as variable
as one run, and on a 2-core machine one page's TBT ranged from 20 to 1100 ms.
Prints score, LCP, TBT, DOM size and transfer size per page; exits 1 if a page
scores below 90, its TBT is over 200 ms or its LCP over 2.5 s.
"""

from __future__ import annotations

import gzip
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
BARS = {"score": 90, "tbt_ms": 200, "lcp_s": 2.5}
RUNS = int(os.environ.get("LIGHTHOUSE_RUNS", "5"))  # runs per page; the median counts
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".map")


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzipped when the client accepts it (as GitHub Pages does)."""

    def log_message(self, *args) -> None:
        pass

    def send_head(self):  # noqa: D102 - http.server's hook
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (
            path.suffix in COMPRESSIBLE
            and path.is_file()
            and "gzip" in self.headers.get("Accept-Encoding", "")
        ):
            body = gzip.compress(path.read_bytes(), 6)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return _Body(body)
        return super().send_head()


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, *_args) -> bytes:
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        pass


def chapters(site: Path) -> list[str]:
    names = sorted(p.parent.name for p in (ROOT / "docs").glob("*/index.ko.md"))
    return [f"{edition}{name}/" for edition in ("/", "/en/") for name in names]


def measure(origin: str, path: str, chrome: str, run: int = 0) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run(
            [
                str(LIGHTHOUSE),
                origin + path,
                "--only-categories=performance",
                "--output=json",
                f"--output-path={report}",
                f"--chrome-path={chrome}",
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu "
                "--disable-background-networking --disable-component-update --no-first-run",
                "--quiet",
            ],
            check=True,
        )
        data = json.loads(report.read_text())
        keep = os.environ.get("LIGHTHOUSE_REPORTS")  # a folder to keep the full reports in
        if keep:
            name = path.strip("/").replace("/", "-") or "home"
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(report, Path(keep) / f"{name}-{run}.json")
    audits = data["audits"]
    return {
        "score": round(100 * (data["categories"]["performance"]["score"] or 0)),
        "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "dom": int(audits["dom-size"]["numericValue"]),
        "kib": audits["total-byte-weight"]["numericValue"] / 1024,
    }


def main() -> int:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    site = Path(sys.argv[1])
    if not LIGHTHOUSE.exists():
        sys.exit(
            "Lighthouse is not installed: run `make lighthouse` (it installs tools/lighthouse)"
        )
    chrome = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not chrome:
        sys.exit("make lighthouse needs Chromium (Debian: apt-get install chromium)")
    pages = sys.argv[2:] or chapters(site)
    handler = lambda *a: GzipHandler(*a, directory=str(site))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"{'page':28} {'score':>5} {'LCP':>7} {'TBT':>8} {'DOM':>7} {'transfer':>9}")
    ok = True
    for path in pages:
        # One Lighthouse run varies by several points (its simulated throttling scales
        # what this machine measured, and a busy machine measures slow tasks): each
        # number is its median over the runs, as Lighthouse CI's "median" aggregation.
        runs = [measure(origin, path, chrome, k) for k in range(RUNS)]
        r = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        good = (
            r["score"] >= BARS["score"]
            and r["tbt_ms"] <= BARS["tbt_ms"]
            and r["lcp_s"] <= BARS["lcp_s"]
        )
        ok &= good
        print(
            f"{path:28} {r['score']:5.0f} {r['lcp_s']:6.2f}s {r['tbt_ms']:6.0f}ms {r['dom']:7.0f} "
            f"{r['kib']:7.0f}KiB {'' if good else '  below the bar'}",
            flush=True,
        )
    server.shutdown()
    print(f"\nbars: score >= {BARS['score']}, TBT <= {BARS['tbt_ms']} ms, LCP <= {BARS['lcp_s']} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
