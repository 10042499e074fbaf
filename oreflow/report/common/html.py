"""HTML pages: one self-contained file each, plotly.js embedded once, figures as JSON blocks.

Each chart's figure is a ``<script type="application/json" id="fig-NAME">`` block that
a small script draws with ``Plotly.newPlot``; the Sankey's links are also kept as a
plain table in ``<script type="application/json" id="sankey-data">``. No file is
fetched when the page opens: no server and no network needed.

Also the parts every kind of page shows: timings and versions, input hashes, the
constraints of an infeasibility explanation.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Collection, Sequence
from html import escape
from importlib import metadata, resources
from typing import Any

from oreflow.report.common.chart import Chart

CSS = """
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#1c2833;margin:0;background:#f4f6f7}
main{max-width:1120px;margin:0 auto;padding:16px 24px 48px;background:white}
h1{font-size:1.6em;margin:.4em 0 .2em}
h2{font-size:1.2em;margin:1.6em 0 .2em;border-top:1px solid #d5d8dc;padding-top:.8em}
.lead{font-size:1.05em;color:#34495e}.caption{margin:.2em 0 .6em;font-size:1em;color:#1b4f72}
nav a{margin-right:1em;font-size:.9em}.png{font-size:.8em;color:#7f8c8d;margin:0}
table{border-collapse:collapse;font-size:.9em;margin:.4em 0}
td,th{border-bottom:1px solid #e5e8e8;padding:3px 10px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.85em;word-break:break-all}
.failed{background:#fdedec;border-left:4px solid #c0392b;padding:8px 16px;margin-top:1.6em}
.failed h2,.warn h2{border-top:none;margin-top:.4em}.note{color:#7f8c8d}
.warn{background:#fef5e7;border-left:4px solid #d68910;padding:8px 16px;margin-top:1.6em}
"""

RENDER = """
(function () {
  var blocks = document.querySelectorAll('script[type="application/json"][data-chart]');
  blocks.forEach(function (block) {
    var name = block.getAttribute('data-chart'), div = document.getElementById('plot-' + name);
    try {
      var spec = JSON.parse(block.textContent);
      Plotly.newPlot(div, spec.data, spec.layout, {displaylogo: false, responsive: true}).then(function () {
        div.setAttribute('data-rendered', 'true');
      });
      if (spec.captions) {
        div.on('plotly_buttonclicked', function (event) {
          var text = spec.captions[event.button.label];
          if (text) { document.getElementById('caption-' + name).textContent = text; }
        });
      }
    } catch (err) {
      div.textContent = 'This chart could not be drawn: ' + err;
      console.error(err);
    }
  });
})();
"""


@functools.cache
def plotly_js() -> str:
    """The plotly.js bundle shipped inside the plotly Python package."""
    return resources.files("plotly").joinpath("package_data", "plotly.min.js").read_text(encoding="utf-8")


def plotly_js_version() -> str:
    """The version of the embedded plotly.js bundle, from its header."""
    head = plotly_js()[:300]
    marker = head.find("plotly.js v")
    return head[marker + 11 :].split()[0] if marker >= 0 else "unknown"


def tool_versions() -> dict[str, str]:
    """The versions of the tools that draw the report (plotly.js, plotly, matplotlib)."""
    found = {"plotly.js": plotly_js_version()}
    for name in ("plotly", "matplotlib"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover
            found[name] = "not installed"
    return found


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN and inf to null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_block(block_id: str, value: Any, chart: str | None = None) -> str:
    """``value`` as a JSON ``<script>`` block (a chart's figure when ``chart`` names it)."""
    text = json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    attr = f' data-chart="{escape(chart)}"' if chart else ""
    return f'<script type="application/json" id="{escape(block_id)}"{attr}>{text}</script>'


def chart_section(chart: Chart, png: str | None) -> str:
    """A chart's section: heading, caption, the plot's div and figure, and a link to its PNG (if drawn)."""
    figure = dict(chart.figure)
    if chart.captions:
        figure["captions"] = chart.captions
    link = f'<p class="png">Static image: <a href="{escape(png)}">{escape(png)}</a></p>' if png else ""
    return (
        f'<section id="{chart.name}"><h2>{escape(chart.title)}</h2>'
        f'<p class="caption" id="caption-{chart.name}">{escape(chart.caption)}</p>'
        f'<div class="plot" id="plot-{chart.name}"></div>{json_block("fig-" + chart.name, figure, chart.name)}'
        f"{link}</section>"
    )


def chart_links(charts: list[Chart]) -> list[tuple[str, str]]:
    """A nav link to each chart's section, named by its title up to its unit or colon."""
    return [(f"#{c.name}", c.title.split(" (")[0].split(":")[0]) for c in charts]


def table(
    rows: list[tuple[Any, ...]], head: tuple[str, ...] | None = None, numeric: Collection[int] = frozenset()
) -> str:
    """An HTML table of ``rows`` (cells escaped unless :class:`Markup`); columns in ``numeric`` right-aligned."""
    out = ["<table>"]
    if head:
        out.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>")
    for row in rows:
        cells = "".join(
            f"<td{' class=n' if i in numeric else ''}>{c if isinstance(c, Markup) else escape(str(c))}</td>"
            for i, c in enumerate(row)
        )
        out.append(f"<tr>{cells}</tr>")
    return "".join(out) + "</table>"


class Markup(str):
    """Text already escaped (a link, a code span)."""


def page(title: str, lead: str, body: list[str], charts: bool, nav: Sequence[tuple[str, str]] = ()) -> str:
    """A whole page: title, lead, links (``nav``: href, text) and ``body``; plotly.js embedded with ``charts``."""
    links = "".join(f'<a href="{escape(href)}">{escape(text)}</a>' for href, text in nav)
    script = f"<script>{plotly_js()}</script>" if charts else ""
    render = f"<script>{RENDER}</script>" if charts else ""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style>{script}</head>\n"
        f"<body><main><h1>{escape(title)}</h1><p class=lead>{escape(lead)}</p><nav>{links}</nav>\n"
        + "\n".join(body)
        + f"\n</main>{render}</body></html>\n"
    )


def timings_and_versions(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    """Metadata rows: the timings recorded in summary.json, then the versions (with the report's tools)."""
    rows = []
    timings = summary.get("timings_s") or {}
    if timings:
        rows.append(
            (
                "timings",
                ", ".join(
                    f"{k.removesuffix('_per_s')} {float(v):,.1f} per s"
                    if k.endswith("_per_s")
                    else f"{k.removesuffix('_s')} {float(v):.3f} s"
                    for k, v in timings.items()
                ),
            )
        )
    versions = {**(summary.get("versions") or {}), **{f"report: {k}": v for k, v in tool_versions().items()}}
    rows.append(("versions", ", ".join(f"{k} {v}" for k, v in versions.items())))
    return rows


def input_hashes(summary: dict[str, Any]) -> str:
    """The sha256 of each input file, as recorded in summary.json."""
    hashes = [
        (name, Markup(f"<code>{escape(str(digest))}</code>"))
        for name, digest in (summary.get("input_sha256") or {}).items()
    ]
    return "<p>Input files (sha256):</p>" + table(hashes, ("file", "sha256"))


def code_items(lines: list[str]) -> str:
    """Each line as a list item in code type (a constraint of an infeasibility explanation)."""
    return "".join(f"<li><code>{escape(line)}</code></li>" for line in lines)
