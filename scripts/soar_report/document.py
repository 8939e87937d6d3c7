"""The report as a list of blocks (headings, paragraphs, tables, images, code), written twice: as
Markdown beside its PNG files, and as one self-contained HTML page (the PNGs inlined as base64 data
URIs, the style inline: no external reference, so the page can be mailed or attached as it is).

Paragraph and cell text may use Markdown's **bold** and `code`; nothing else is interpreted."""
import base64
import html
import os
import re

import matplotlib.pyplot as plt

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       max-width: 1100px; margin: 24px auto; padding: 0 24px; }
h1 { font-size: 1.8em; border-bottom: 1px solid #d0d7de; padding-bottom: .3em; }
h2 { font-size: 1.4em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; margin-top: 1.6em; }
h3 { font-size: 1.15em; margin-top: 1.3em; }
table { border-collapse: collapse; margin: 12px 0; font-size: 14px; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; }
th { background: #f6f8fa; }
tr:nth-child(even) td { background: #fbfbfc; }
code { background: #eff1f3; padding: 1px 4px; border-radius: 4px; font-size: 90%; }
pre { background: #f6f8fa; padding: 10px 12px; border-radius: 6px; overflow-x: auto; font-size: 13px; }
pre code { background: none; padding: 0; }
img { max-width: 100%; border: 1px solid #eaeef2; border-radius: 4px; }
"""


class Document:
    """Blocks added in reading order; figures are saved to out_dir as they are added."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.blocks = []
        self.prefix = ""  # prepended to figure file names (several runs in one report)

    def heading(self, level, text):
        self.blocks.append(("heading", level, text))

    def para(self, text):
        self.blocks.append(("para", text))

    def table(self, header, rows):
        self.blocks.append(("table", [str(c) for c in header], [[str(c) for c in row] for row in rows]))

    def code(self, text):
        self.blocks.append(("code", text))

    def figure(self, fig, name, alt, dpi=110):
        """Saves a matplotlib figure as PREFIX+name in out_dir, closes it, and adds it as an image."""
        file = self.prefix + name
        fig.tight_layout()
        fig.savefig(os.path.join(self.out_dir, file), dpi=dpi)
        plt.close(fig)
        self.blocks.append(("image", alt, file))
        return file

    def images(self):
        return [block[2] for block in self.blocks if block[0] == "image"]

    def markdown(self):
        return "\n".join(markdown_block(block) + "\n" for block in self.blocks)

    def html(self, title):
        body = "\n".join(html_block(block, self.out_dir) for block in self.blocks)
        return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def markdown_block(block):
    kind = block[0]
    if kind == "heading":
        return "#" * block[1] + " " + block[2]
    if kind == "para":
        return block[1]
    if kind == "table":
        header, rows = block[1], block[2]
        lines = ["| " + " | ".join(header) + " |", "| --- |" + " --- |" * (len(header) - 1)]
        return "\n".join(lines + ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows])
    if kind == "image":
        return f"![{block[1]}]({block[2]})"
    if kind == "code":
        return "```\n" + block[1].rstrip("\n") + "\n```"
    raise ValueError(kind)


def inline_html(text):
    """HTML of a line of text with Markdown's `code` and **bold** (everything else escaped)."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for part in parts:
        if len(part) >= 2 and part.startswith("`") and part.endswith("`"):
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
        else:
            out.append(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(part)))
    return "".join(out)


def data_uri(path):
    with open(path, "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii")


def html_block(block, out_dir):
    kind = block[0]
    if kind == "heading":
        return f"<h{block[1]}>{inline_html(block[2])}</h{block[1]}>"
    if kind == "para":
        return "<p>" + inline_html(block[1]).replace("\n", "<br>\n") + "</p>"
    if kind == "table":
        head = "".join(f"<th>{inline_html(c)}</th>" for c in block[1])
        rows = "\n".join("<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in row) + "</tr>" for row in block[2])
        return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>"
    if kind == "image":
        source = data_uri(os.path.join(out_dir, block[2]))
        return f'<p><img alt="{html.escape(block[1])}" title="{html.escape(block[2])}" src="{source}"></p>'
    if kind == "code":
        return f"<pre><code>{html.escape(block[1])}</code></pre>"
    raise ValueError(kind)
