"""``python -m radiovector.contracts [DOCS_DIR]``: regenerate docs/tables.md and the table list of docs/store.md."""

import sys
from pathlib import Path

from radiovector.contracts import render_docs
from radiovector.paths import project_root

docs = Path(sys.argv[1]) if len(sys.argv) > 1 else project_root() / "docs"
for path, text in render_docs(docs).items():
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
