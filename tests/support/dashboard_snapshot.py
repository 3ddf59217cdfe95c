"""A static picture of the Grafana dashboard's data: one HTML page, inline SVG, from Prometheus.

Grafana cannot be installed here, so this draws each panel's ``query_range`` (or instant table) the
plain way, and Debian's Chromium turns the page into a PNG (docs/images/grafana-dashboard.png).
Used by tests/integration/test_grafana_prometheus.py when KCONNECT_DASHBOARD_SNAPSHOT names a
directory.
"""

from __future__ import annotations

import html
import math
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

COLOURS = ["#7eb26d", "#eab839", "#6ed0e0", "#ef843c", "#e24d42", "#1f78c1", "#ba43a9", "#705da0"]
WIDTH, HEIGHT = 380, 150


def _legend(fmt: str, labels: dict[str, str]) -> str:
    if not fmt or fmt == "__auto":
        return ", ".join(f"{k}={v}" for k, v in labels.items() if k != "__name__") or "value"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt)


def _chart(series: list[tuple[str, list[tuple[float, float]]]]) -> str:
    points = [(t, v) for _, values in series for t, v in values if math.isfinite(v)]
    if not points:
        return "<p class=empty>no finite values</p>"
    t0, t1 = min(p[0] for p in points), max(p[0] for p in points)
    v0, v1 = min(0.0, min(p[1] for p in points)), max(p[1] for p in points)
    span_t, span_v = (t1 - t0) or 1.0, (v1 - v0) or 1.0
    lines = []
    for i, (_, values) in enumerate(series):
        coords = " ".join(
            f"{(t - t0) / span_t * WIDTH:.1f},{HEIGHT - (v - v0) / span_v * HEIGHT:.1f}"
            for t, v in values
            if math.isfinite(v)
        )
        lines.append(
            f'<polyline fill="none" stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="1.5" points="{coords}"/>'
        )
    legend = "".join(
        f'<div><span style="color:{COLOURS[i % len(COLOURS)]}">&#9632;</span> {html.escape(name)}</div>'
        for i, (name, _) in enumerate(series[:6])
    )
    more = f"<div>… {len(series) - 6} more</div>" if len(series) > 6 else ""
    return (
        f'<svg width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#181b1f"/>{"".join(lines)}</svg>'
        f"<div class=axis>max {v1:.4g}</div><div class=legend>{legend}{more}</div>"
    )


def _table(rows: list[tuple[str, float]]) -> str:
    body = "".join(f"<tr><td>{html.escape(name)}</td><td>{value:.4g}</td></tr>" for name, value in rows[:12])
    return f"<table>{body}</table>"


def render_html(
    dashboard: dict[str, Any],
    run: Callable[[dict[str, Any]], list[dict[str, Any]]],
) -> str:
    """``run(target)`` returns Prometheus's result for one panel target (variables substituted)."""
    parts = [f"<h1>{html.escape(dashboard['title'])} — data from Prometheus (Grafana variables substituted)</h1>"]
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            parts.append(f"<h2>{html.escape(panel['title'])}</h2>")
            continue
        series: list[tuple[str, list[tuple[float, float]]]] = []
        rows: list[tuple[str, float]] = []
        for target in panel["targets"]:
            for item in run(target):
                name = _legend(target.get("legendFormat", ""), item["metric"])
                if "values" in item:
                    series.append((name, [(float(t), float(v)) for t, v in item["values"]]))
                else:
                    rows.append((name, float(item["value"][1])))
        content = _chart(series) if series else _table(rows)
        parts.append(f"<div class=panel><h3>{html.escape(panel['title'])}</h3>{content}</div>")
    style = (
        "body{background:#111217;color:#ccccdc;font:12px sans-serif;margin:12px;width:1700px}"
        "h2{clear:both;font-size:15px;margin:14px 0 6px;border-bottom:1px solid #333}"
        ".panel{float:left;width:395px;height:250px;margin:0 8px 8px 0;padding:6px;background:#181b1f;"
        "border:1px solid #2a2d35;overflow:hidden}h3{font-size:12px;margin:0 0 4px}"
        ".legend{font-size:10px}.axis{font-size:9px;color:#888}td{padding:1px 8px 1px 0}"
    )
    head = f"<head><meta charset=utf-8><style>{style}</style></head>"
    return f"<!doctype html><html>{head}<body>{''.join(parts)}</body></html>"


def screenshot(html_path: Path, png_path: Path) -> bool:
    """Render the page with headless Chromium (Debian's ``chromium``); False if it is not installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return False
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1730,3400",
            f"--screenshot={png_path}",
            html_path.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return png_path.exists()


__all__ = ["render_html", "screenshot"]
