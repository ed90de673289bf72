"""Where a PDF page draws things: every path point and text origin, in page coordinates, read with pypdf."""

from __future__ import annotations

from dataclasses import dataclass

from pypdf import PageObject
from pypdf.generic import ContentStream

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n, in PDF's row-vector convention (a point p goes to p·m·n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


@dataclass(frozen=True)
class Extent:
    left: float
    bottom: float
    right: float
    top: float

    def inside(self, box: Extent, slack: float = 0.5) -> bool:
        return (self.left >= box.left - slack and self.bottom >= box.bottom - slack
                and self.right <= box.right + slack and self.top <= box.top + slack)


def drawn_points(page: PageObject) -> list[tuple[float, float]]:
    """Each point a path passes through and each place text starts, form XObjects included."""
    points: list[tuple[float, float]] = []
    _walk(page.get_contents(), page.pdf, page.get("/Resources"), IDENTITY, points)
    return points


def extent_of(points: list[tuple[float, float]]) -> Extent:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return Extent(min(xs), min(ys), max(xs), max(ys))


def _walk(stream, pdf, resources, ctm: Matrix, points: list[tuple[float, float]]) -> None:  # noqa: ANN001
    if stream is None:
        return
    stack: list[Matrix] = []
    text_matrix = IDENTITY
    line_matrix = IDENTITY
    leading = 0.0
    for operands, op in ContentStream(stream, pdf).operations:
        values = [float(v) if isinstance(v, (int, float)) or hasattr(v, "as_numeric") else v for v in operands]
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop() if stack else IDENTITY
        elif op == b"cm":
            ctm = multiply(tuple(float(v) for v in values), ctm)  # type: ignore[arg-type]
        elif op in (b"m", b"l"):
            points.append(apply(ctm, float(values[0]), float(values[1])))
        elif op == b"c":
            for i in (0, 2, 4):
                points.append(apply(ctm, float(values[i]), float(values[i + 1])))
        elif op in (b"v", b"y"):
            for i in (0, 2):
                points.append(apply(ctm, float(values[i]), float(values[i + 1])))
        elif op == b"re":
            x, y, w, h = (float(v) for v in values[:4])
            points.extend(apply(ctm, px, py) for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)))
        elif op == b"BT":
            text_matrix = line_matrix = IDENTITY
        elif op == b"Tm":
            text_matrix = line_matrix = tuple(float(v) for v in values)  # type: ignore[assignment]
        elif op in (b"Td", b"TD"):
            if op == b"TD":
                leading = -float(values[1])
            text_matrix = line_matrix = multiply((1, 0, 0, 1, float(values[0]), float(values[1])), line_matrix)
        elif op == b"TL":
            leading = float(values[0])
        elif op == b"T*":
            text_matrix = line_matrix = multiply((1, 0, 0, 1, 0, -leading), line_matrix)
        elif op in (b"Tj", b"TJ", b"'", b'"'):
            points.append(apply(multiply(text_matrix, ctm), 0, 0))
        elif op == b"Do" and resources is not None:
            xobjects = resources.get_object().get("/XObject")
            target = xobjects.get_object().get(values[0]) if xobjects is not None else None
            target = target.get_object() if target is not None else None
            if target is not None and target.get("/Subtype") == "/Form":
                matrix = tuple(float(v) for v in target.get("/Matrix", IDENTITY))
                _walk(target, pdf, target.get("/Resources", resources), multiply(matrix, ctm), points)  # type: ignore[arg-type]
