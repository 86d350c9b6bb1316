#!/usr/bin/env python3
"""Checks `migsim schema` with an independent validator (python3-jsonschema): every shipped
scenario must satisfy it, and broken files whose fault is one of type or unknown key must not.
Usage: check_schema.py MIGSIM_EXE SOURCE_DIR"""
import glob
import json
import os
import subprocess
import sys

import jsonschema
import yaml

exe, src = sys.argv[1], sys.argv[2]
schema = json.loads(subprocess.run([exe, "schema"], check=True, capture_output=True, text=True).stdout)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)


def load(path):
    with open(path) as f:
        return json.load(f) if path.endswith(".json") else yaml.safe_load(f)


failures = 0
shipped = sorted(glob.glob(os.path.join(src, "scenarios", "**", "*.y*ml"), recursive=True) +
                 glob.glob(os.path.join(src, "scenarios", "**", "*.json"), recursive=True))
for path in shipped:
    errors = list(validator.iter_errors(load(path)))
    if errors:
        failures += 1
        print(f"FAIL {path} should satisfy the schema: {errors[0].message}")
# Faults a schema can see: unknown keys, wrong types, missing units, bad choices.
must_fail = ["unknown_key.yaml", "unknown_top_level_key.yaml", "typo_algorithm.yaml", "typo_hypervisor.yaml",
             "typo_workload_type.yaml", "missing_unit.yaml", "wrong_type_mapping.yaml", "wrong_type_boolean.yaml",
             "wrong_type_integer.yaml", "efficiency_out_of_range.yaml", "zero_replications.yaml",
             "missing_algorithm.yaml", "missing_workload_type.yaml", "parameter_of_another_algorithm.yaml",
             "bad_unit.json", "quoted_number.json", "section_not_a_mapping.yaml", "negative_seed.yaml",
             "rate_without_per_second.yaml", "negative_memory.yaml", "background_typo_type.yaml",
             "algorithm_block_typo.yaml", "algorithm_block_not_a_mapping.yaml",
             "algorithm_block_out_of_range.yaml"]
for name in must_fail:
    if validator.is_valid(load(os.path.join(src, "tests", "bad_input", name))):
        failures += 1
        print(f"FAIL {name} should violate the schema")
print(f"{len(shipped) + len(must_fail) - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
