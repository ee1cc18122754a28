"""Checks JSON documents against a JSON Schema (draft 2020-12) with the `jsonschema` package.

Usage: check_schema.py SCHEMA FILE...
Prints one JSON object: {"schema_ok": bool, "files": {FILE: [error messages]}}.
"""
import json
import sys

import jsonschema


def main() -> None:
    schema = json.load(open(sys.argv[1], encoding="utf-8"))
    result = {"schema_ok": True, "files": {}}
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as error:
        result["schema_ok"] = False
        result["schema_error"] = str(error)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sys.argv[2:]:
        try:
            document = json.load(open(path, encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            result["files"][path] = ["unparsable: %s" % error]
            continue
        result["files"][path] = [error.message for error in validator.iter_errors(document)]
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
