"""Generate the JSON Schemas from the pydantic models: ``python -m schemas.generate``.

``schemas/thread.schema.json`` (the canonical thread) and ``schemas/manifest.schema.json`` (a package's
manifest). Tests check that the checked-in files equal what this produces.
"""

from __future__ import annotations

import json
from pathlib import Path

from schemas.package import manifest_json_schema
from schemas.thread import Thread

HERE = Path(__file__).parent
THREAD_SCHEMA_PATH = HERE / "thread.schema.json"
MANIFEST_SCHEMA_PATH = HERE / "manifest.schema.json"


def thread_json_schema() -> str:
    schema = Thread.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def generated() -> dict[Path, str]:
    return {THREAD_SCHEMA_PATH: thread_json_schema(), MANIFEST_SCHEMA_PATH: manifest_json_schema()}


def main() -> None:
    for path, text in generated().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
