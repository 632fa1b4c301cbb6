#!/usr/bin/env python3
"""Validates a PGXN META.json against the PGXN Meta Spec 1.0.0, and against the tree.

    scripts/pgxn-meta-check.py META.json [SOURCE_DIR]

No PGXN meta validator is published on npm (pgxn-meta-validator does not
exist there), so the spec (https://pgxn.org/spec/, meta-spec 1.0.0) is written
out below as a JSON Schema. With SOURCE_DIR it also checks what a schema
cannot: every provides.*.file and docfile exists there, and the extension's
control file default_version equals the distribution's and the extension's
version. Prints "meta: ok ..." or every problem and exits 1.
"""
import json
import os
import re
import sys

import jsonschema

# SemVer, as PGXN uses it: MAJOR.MINOR.PATCH, optional -prerelease and +build.
SEMVER = (r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
          r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?")
# A version range: "0" (any), a version, or comma-separated "OP version".
RANGE = r"^(0|((==|!=|>=|<=|>|<)\s*)?V)(\s*,\s*((==|!=|>=|<=|>|<)\s*)?V)*$".replace("V", SEMVER)
# The licenses the spec names (section "license").
LICENSES = [
    "agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd",
    "freebsd", "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1",
    "lgpl_3_0", "mit", "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5",
    "postgresql", "qpl_1_0", "ssleay", "sun", "zlib", "open_source",
    "restricted", "unrestricted", "unknown",
]
CUSTOM = {"^[xX]_": {}}  # the spec allows x_ / X_ keys anywhere


def obj(props, required=(), **extra):
    return dict(type="object", properties=props, required=list(required),
                patternProperties=CUSTOM, additionalProperties=False, **extra)


TEXT = {"type": "string", "minLength": 1}
VERSION = {"type": "string", "pattern": "^" + SEMVER + "$"}
# name: at least two characters; no whitespace, slash, backslash or control character
TERM = {"type": "string", "pattern": r"^[^\s/\\\x00-\x1f\x7f]{2,}$"}
URI = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$"}
PREREQ_RELATIONS = obj({r: {"type": "object", "minProperties": 1,
                            "propertyNames": TERM,
                            "additionalProperties": {"type": "string", "pattern": RANGE}}
                        for r in ("requires", "recommends", "suggests", "conflicts")},
                       minProperties=1)
SCHEMA = obj({
    "name": TERM,
    "version": VERSION,
    "abstract": TEXT,
    "description": TEXT,
    "maintainer": {"oneOf": [TEXT, {"type": "array", "minItems": 1, "items": TEXT}]},
    "license": {"oneOf": [
        {"enum": LICENSES},
        {"type": "array", "minItems": 1, "items": {"enum": LICENSES}},
        {"type": "object", "minProperties": 1, "additionalProperties": URI},
    ]},
    "provides": {"type": "object", "minProperties": 1, "propertyNames": TERM,
                 "additionalProperties": obj({"file": TEXT, "version": VERSION,
                                              "abstract": TEXT, "docfile": TEXT},
                                             required=("file", "version"))},
    "meta-spec": obj({"version": {"const": "1.0.0"}, "url": URI}, required=("version",)),
    "prereqs": obj({p: PREREQ_RELATIONS
                    for p in ("configure", "build", "test", "runtime", "develop")},
                   minProperties=1),
    "release_status": {"enum": ["stable", "testing", "unstable"]},
    "resources": obj({
        "homepage": URI,
        "bugtracker": obj({"web": URI, "mailto": TEXT}, minProperties=1),
        "repository": obj({"url": URI, "web": URI, "type": TERM}, minProperties=1),
    }, minProperties=1),
    "no_index": obj({k: {"oneOf": [TEXT, {"type": "array", "minItems": 1, "items": TEXT}]}
                     for k in ("file", "directory")}, minProperties=1),
    "tags": {"type": "array", "minItems": 1,
             "items": {"type": "string", "minLength": 1, "maxLength": 255,
                       "pattern": r"^[^/\\\x00-\x1f\x7f]+$"}},
    "generated_by": TEXT,
}, required=("name", "version", "abstract", "maintainer", "license", "provides", "meta-spec"))


def tree_problems(meta, src):
    """What the schema cannot see: files named by META.json and the control file."""
    problems = []
    for ext, p in meta.get("provides", {}).items():
        for key in ("file", "docfile"):
            if key in p and not os.path.isfile(os.path.join(src, p[key])):
                problems.append(f"provides.{ext}.{key}: {p[key]} is not in {src}")
        control = os.path.join(src, "extension", ext + ".control")
        if not os.path.isfile(control):
            control = os.path.join(src, ext + ".control")
        m = re.search(r"^default_version\s*=\s*'([^']*)'", open(control).read(), re.M) \
            if os.path.isfile(control) else None
        if not m:
            problems.append(f"provides.{ext}: no control file with default_version")
        elif m.group(1) != p.get("version") or m.group(1) != meta.get("version"):
            problems.append(f"{ext}.control default_version {m.group(1)} != META.json "
                            f"version {meta.get('version')} / provides {p.get('version')}")
    return problems


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        meta = json.load(open(argv[1], encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"meta: {argv[1]}: {e}")
        return 1
    validator = jsonschema.Draft7Validator(SCHEMA)
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                for e in sorted(validator.iter_errors(meta), key=str)]
    if len(argv) == 3 and isinstance(meta, dict):
        problems += tree_problems(meta, argv[2])
    for p in problems:
        print(f"meta: {p}")
    if problems:
        return 1
    print(f"meta: ok {meta['name']} {meta['version']} (PGXN meta-spec 1.0.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
