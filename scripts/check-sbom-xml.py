#!/usr/bin/env python3
"""Validate CycloneDX XML files against the official XSD (1.5 or 1.6, from the namespace).

usage: check-sbom-xml.py FILE...   (needs cyclonedx-python-lib[xml-validation]; .ci/run installs it)
"""
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.xml import XmlValidator
bad = 0
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    version = SchemaVersion.V1_6 if "schema/bom/1.6" in text else SchemaVersion.V1_5
    err = XmlValidator(version).validate_str(text)
    if err:
        bad += 1
        print(f"{path}: {err}")
    else:
        print(f"ok cyclonedx-xml {path}")
sys.exit(1 if bad else 0)
