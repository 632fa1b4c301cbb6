#!/usr/bin/env python3
"""Render the sandbox cloud-init template the way Terraform's templatefile() does
for the checks, and check what does not need cloud-init itself.

    render-user-data.py TEMPLATE OUT

Each ${NAME} becomes: for NAME_b64, the base64 of sandbox/NAME.sh next to the
template when that file exists (the real bootstrap script, so the size check is
honest), else the base64 of a sample line; anything else a sample word. $${ and
%%{ are unescaped. Checks: the first line is exactly '#cloud-config', the result
is a YAML mapping, it fits EC2's 16 KiB user-data limit, and every b64 payload
decodes. Exit 1 with a message on failure.
"""
import base64
import os
import re
import sys

import yaml


def main() -> int:
    template, out = sys.argv[1], sys.argv[2]
    text = open(template, encoding="utf-8").read()
    here = os.path.dirname(template)

    if re.search(r"(?<!%)%\{", text):
        print(f"{template}: template directives (%{{...}}) are not supported by this check")
        return 1

    def value(match: "re.Match[str]") -> str:
        name = match.group(1)
        if name.endswith("_b64"):
            src = os.path.join(here, name[: -len("_b64")] + ".sh")
            data = open(src, "rb").read() if os.path.exists(src) else b"sample\n"
            return base64.b64encode(data).decode()
        return "sample"

    rendered = re.sub(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}", value, text)
    rendered = rendered.replace("$${", "${").replace("%%{", "%{")
    left = re.findall(r"(?<!\$)\$\{[^}]*\}", text)
    left = [x for x in left if not re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", x)]
    if left:
        print(f"{template}: interpolations other than plain names: {left}")
        return 1

    first = rendered.split("\n", 1)[0]
    if first.rstrip() != "#cloud-config":
        print(f"{template}: first line must be '#cloud-config', found {first!r}")
        return 1
    try:
        doc = yaml.safe_load(rendered)
    except yaml.YAMLError as err:
        print(f"{template}: YAML error: {err}")
        return 1
    if not isinstance(doc, dict):
        print(f"{template}: user-data must be a YAML mapping, got {type(doc).__name__}")
        return 1
    size = len(rendered.encode())
    if size > 16384:
        print(f"{template}: rendered user-data is {size} bytes, over EC2's 16384-byte limit")
        return 1
    for entry in doc.get("write_files") or []:
        if isinstance(entry, dict) and entry.get("encoding") in ("b64", "base64"):
            try:
                base64.b64decode(str(entry.get("content", "")), validate=True)
            except ValueError as err:
                print(f"{template}: write_files {entry.get('path')}: bad base64: {err}")
                return 1
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(rendered)
    print(f"{template}: #cloud-config header, YAML mapping, {size} bytes (limit 16384)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
