"""Writing results: a console table, ``results.json`` and ``report.md`` (figures are PNGs beside them)."""
import dataclasses
import json

from benchmarks.machine import describe


def table_lines(table):
    """A plain-text table with columns padded to their widest cell."""
    cells = [list(map(str, table.columns))] + [list(map(str, row)) for row in table.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(table.columns))]
    fmt = lambda row: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))  # noqa: E731
    lines = [table.title, fmt(cells[0]), "  ".join("-" * w for w in widths)]
    lines += [fmt(row) for row in cells[1:]]
    lines += [f"  note: {note}" for note in table.notes]
    return lines


def print_table(table):
    print("\n".join(table_lines(table)) + "\n", flush=True)


def markdown_table(table):
    lines = [f"**{table.title}**", "", "| " + " | ".join(map(str, table.columns)) + " |",
             "|" + "|".join("---" for _ in table.columns) + "|"]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in table.rows]
    if table.notes:
        lines.append("")
        lines += [f"- {note}" for note in table.notes]
    return "\n".join(lines)


def write_json(path, info, args, results):
    payload = {"machine": info, "args": args, "results": [dataclasses.asdict(r) for r in results]}
    path.write_text(json.dumps(payload, indent=2, default=_jsonable))


def _jsonable(value):
    try:
        return float(value)  # numpy scalars
    except (TypeError, ValueError):
        return str(value)


def write_markdown(path, info, args, results):
    lines = ["# minigrad benchmark report", ""]
    lines += [f"- {line}" for line in describe(info)]
    lines += [f"- load average at end: {args.get('load_average_1min_at_end')}",
              f"- command: `python -m benchmarks {args['command']}`", ""]
    for r in results:
        lines += [f"## {r.suite} on {r.device}  ({r.seconds:.1f} s)", ""]
        lines += [f"> {note}" for note in r.notes]
        if r.notes:
            lines.append("")
        if r.error:
            lines += ["**This suite failed:**", "", "```", r.error.rstrip(), "```", ""]
        for table in r.tables:
            lines += [markdown_table(table), ""]
        for figure in r.figures:
            lines += [f"![{figure}]({figure})", ""]
    path.write_text("\n".join(lines))
