#!/usr/bin/env python3
"""Checks that the wide-instruction kernels cannot leak into plain x86-64 code.

core/float_simd.cc is compiled once per instruction set. If one of those
objects defined a symbol another object also defines (a weak inline function,
a template instance), the linker would keep one copy for all, and the SSE2
path could end up calling AVX-512 code. So:

  --isolated OBJ...: each defines exactly one external symbol, its kernel
      table, and no weak symbol but DWARF's personality reference;
  --baseline OBJ...: every other core object (and the SSE2 copy) contains no
      VEX or EVEX instruction (no AVX), so wide code runs only through a table
      chosen after the CPU check.

Usage: check_simd_objects.py --isolated A.o B.o --baseline C.o D.o
Exit status 0 when both hold; otherwise prints every offending symbol or
instruction.
"""
import re
import subprocess
import sys

# nm types of symbols visible to the linker; lowercase ones are local.
GLOBAL = set("TDRBC")
WEAK = set("WVu")
# AVX instructions are VEX/EVEX encoded: their mnemonics start with "v" and
# their operands may name ymm/zmm registers or mask registers k0-k7.
AVX_INSTRUCTION = re.compile(r"\t(v[a-z0-9]+)\s|%[yz]mm\d+|%k[0-7]\b")


def defined_symbols(path):
    out = subprocess.run(["nm", "--defined-only", path], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            yield parts[1], parts[2]


def isolation_problems(path):
    problems, tables = [], []
    for kind, name in defined_symbols(path):
        if kind in WEAK and not name.startswith("DW.ref."):
            problems.append(f"{path}: weak symbol {name} ({kind})")
        elif kind in GLOBAL:
            tables.append(name)
    if len(tables) != 1 or "kFloatSimd" not in tables[0]:
        problems.append(f"{path}: external symbols {tables}, expected one "
                        "kFloatSimd* table")
    return problems


def avx_problems(path):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path],
                         check=True, capture_output=True, text=True).stdout
    return [f"{path}: {line.strip()}" for line in out.splitlines()
            if AVX_INSTRUCTION.search(line)][:20]


def main(argv):
    if "--isolated" not in argv or "--baseline" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--baseline")
    isolated = argv[argv.index("--isolated") + 1:split]
    baseline = argv[split + 1:]
    problems = [p for o in isolated for p in isolation_problems(o)]
    problems += [p for o in baseline for p in avx_problems(o)]
    for p in problems:
        print(p)
    print(f"checked {len(isolated)} per-ISA objects, {len(baseline)} "
          f"baseline objects: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
