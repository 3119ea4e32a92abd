"""Render our draw.io diagrams (uncompressed XML) to SVG, so the image is rebuilt from source.

Usage: python docs/diagrams/render.py docs/diagrams/architecture.drawio
Only what our diagrams use is drawn: vertices as (rounded) boxes or cylinders with their fill
and stroke, edges as straight arrows between box borders with a label.
"""

from __future__ import annotations

import html
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float
    label: str
    style: dict[str, str]

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    def border_towards(self, px: float, py: float) -> tuple[float, float]:
        """Where the line from the centre to (px, py) leaves the box."""
        cx, cy = self.centre
        dx, dy = px - cx, py - cy
        if dx == 0 and dy == 0:
            return cx, cy
        scale = min(
            (self.w / 2) / abs(dx) if dx else float("inf"),
            (self.h / 2) / abs(dy) if dy else float("inf"),
        )
        return cx + dx * scale, cy + dy * scale


def _style(text: str) -> dict[str, str]:
    pairs = (part.split("=", 1) for part in text.split(";") if part)
    return {p[0]: (p[1] if len(p) > 1 else "") for p in pairs}


def _text(x: float, y: float, label: str, size: int = 12) -> str:
    lines = label.split("\n")
    first = y - (len(lines) - 1) * (size + 2) / 2
    spans = "".join(
        f'<tspan x="{x:.0f}" y="{first + i * (size + 2):.0f}">{html.escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text font-family="Helvetica, Arial, sans-serif" font-size="{size}" '
        f'text-anchor="middle" dominant-baseline="middle">{spans}</text>'
    )


def render(source: Path) -> str:
    model = ET.parse(source).getroot().find(".//root")
    assert model is not None, f"{source}: no mxGraphModel root"
    boxes: dict[str, Box] = {}
    edges = []
    for cell in model.iter("mxCell"):
        if cell.get("vertex") == "1":
            geo = cell.find("mxGeometry")
            assert geo is not None
            boxes[cell.get("id", "")] = Box(
                float(geo.get("x", 0)), float(geo.get("y", 0)),
                float(geo.get("width", 0)), float(geo.get("height", 0)),
                cell.get("value", ""), _style(cell.get("style", "")),
            )  # fmt: skip
        elif cell.get("edge") == "1":
            edges.append(cell)
    width = max(b.x + b.w for b in boxes.values()) + 40
    height = max(b.y + b.h for b in boxes.values()) + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/>'
        "</marker></defs>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
    ]
    for box in boxes.values():
        fill = box.style.get("fillColor", "#ffffff")
        stroke = box.style.get("strokeColor", "#000000")
        if box.style.get("shape") == "cylinder3":
            rx, ry = box.w / 2, 10
            out.append(
                f'<path d="M{box.x},{box.y + ry} a{rx},{ry} 0 0,0 {box.w},0 v{box.h - 2 * ry} '
                f'a{rx},{ry} 0 0,1 {-box.w},0 z" fill="{fill}" stroke="{stroke}"/>'
                f'<ellipse cx="{box.x + rx}" cy="{box.y + ry}" rx="{rx}" ry="{ry}" '
                f'fill="{fill}" stroke="{stroke}"/>'
            )
        else:
            radius = 10 if box.style.get("rounded") == "1" else 0
            out.append(
                f'<rect x="{box.x}" y="{box.y}" width="{box.w}" height="{box.h}" rx="{radius}" '
                f'fill="{fill}" stroke="{stroke}"/>'
            )
        out.append(_text(*box.centre, box.label))
    for edge in edges:
        src, dst = boxes[edge.get("source", "")], boxes[edge.get("target", "")]
        x1, y1 = src.border_towards(*dst.centre)
        x2, y2 = dst.border_towards(*src.centre)
        out.append(
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#333" '
            'stroke-width="1.5" marker-end="url(#arrow)"/>'
        )
        if edge.get("value"):
            out.append(_text((x1 + x2) / 2, (y1 + y2) / 2 - 8, edge.get("value", ""), size=11))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(paths: list[str]) -> None:
    for name in paths:
        source = Path(name)
        source.with_suffix(".svg").write_text(render(source))


if __name__ == "__main__":
    main(sys.argv[1:])
