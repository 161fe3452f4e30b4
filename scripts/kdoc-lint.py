#!/usr/bin/env python3
"""Check that every public declaration in the given headers has kernel-doc.

Usage: kdoc-lint.py PATH...   (headers, or directories searched for *.h)

Rules (a subset of the kernel's scripts/kernel-doc, enough for our headers):
- every function prototype and every non-underscore static inline function
  is preceded by a /** ... */ comment;
- every struct and enum definition is preceded by a /** ... */ comment, and
  each of its fields / enumerators is named in it as "@name:" or carries a
  comment of its own on the same line or the line before;
- names with a "__" part (private cross-file helpers, by our naming rule)
  and macros are not checked.
Prints one line per problem and exits 1 if there is any.
"""
import re
import sys

FUNC = re.compile(r"^(?:static\s+(?:inline\s+)?|extern\s+)?(?:U_NORETURN\s+|__attribute__\(\(.*?\)\)\s*)*"
                  r"(?:const\s+)?(?:struct\s+|enum\s+|unsigned\s+)?[A-Za-z_][\w\s\*]*?\b([a-z_][a-z0-9_]*)\s*\(")
AGG = re.compile(r"^(?:typedef\s+)?(struct|enum|union)\s+([a-z_][a-z0-9_]*)\s*\{")
FIELD = re.compile(r"^\s*(?:const\s+)?(?:struct\s+|enum\s+|union\s+|unsigned\s+)?[A-Za-z_][\w\s\*]*?\b\(?\*?([a-z_][a-z0-9_]*)\)?\s*(?:\[[^\]]*\])*\s*(?:\(.*\))?\s*(?::\s*\d+)?\s*;")
ENUMV = re.compile(r"^\s*([A-Z_][A-Z0-9_]*)\s*(?:=|,|$)")


def preceding_doc(lines, i):
    """Return the text of the /** comment ending right above line i, or None."""
    j = i - 1
    while j >= 0 and lines[j].strip() == "":
        j -= 1
    if j < 0 or not lines[j].rstrip().endswith("*/"):
        return None
    end = j
    while j >= 0 and "/*" not in lines[j]:
        j -= 1
    if j < 0 or "/**" not in lines[j]:
        return None
    return "\n".join(lines[j:end + 1])


def check(path):
    problems = []
    lines = open(path, encoding="utf-8").read().split("\n")
    depth = 0
    i = 0
    in_comment = False
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if in_comment:
            if "*/" in line:
                in_comment = False
            i += 1
            continue
        if stripped.startswith("/*") and "*/" not in stripped:
            in_comment = True
            i += 1
            continue
        if stripped.startswith("#") or stripped.startswith("//") or stripped.startswith("/*"):
            # skip preprocessor continuation lines
            while lines[i].rstrip().endswith("\\"):
                i += 1
            i += 1
            continue
        if depth == 0:
            m = AGG.match(stripped)
            if m:
                kind, name = m.groups()
                doc = preceding_doc(lines, i)
                if doc is None and "__" not in name:
                    problems.append(f"{path}:{i+1}: {kind} {name} has no kernel-doc")
                # walk its body
                body_depth = line.count("{") - line.count("}")
                k = i + 1
                while k < len(lines) and body_depth > 0:
                    fl = lines[k]
                    body_depth += fl.count("{") - fl.count("}")
                    fs = fl.strip()
                    fname = None
                    if kind == "enum":
                        em = ENUMV.match(fs)
                        fname = em.group(1) if em else None
                    elif body_depth >= 1 and not fs.startswith(("/*", "*", "//", "}")):
                        fp = re.search(r"\(\*\s*([a-z_][a-z0-9_]*)\)\s*\(", fl)
                        fm = FIELD.match(fl)
                        fname = fp.group(1) if fp else (fm.group(1) if fm else None)
                    if fname and doc is not None and "__" not in name:
                        documented = (f"@{fname}:" in doc or "/*" in fl or "//" in fl or
                                      lines[k - 1].strip().endswith("*/"))
                        if not documented:
                            problems.append(f"{path}:{k+1}: {kind} {name}: member {fname} not documented")
                    k += 1
                i = k
                continue
            m = FUNC.match(line)
            if m and not stripped.startswith(("return", "typedef", "else", "if ", "#")) and "=" not in line.split("(")[0]:
                name = m.group(1)
                if "__" not in name and not name.startswith("t__"):
                    if preceding_doc(lines, i) is None:
                        problems.append(f"{path}:{i+1}: function {name} has no kernel-doc")
        depth += line.count("{") - line.count("}")
        if depth < 0:
            depth = 0
        i += 1
    return problems


def main(args):
    import os
    paths = []
    for a in args:
        if os.path.isdir(a):
            for root, _, files in os.walk(a):
                paths += [os.path.join(root, f) for f in sorted(files) if f.endswith(".h")]
        else:
            paths.append(a)
    problems = []
    for p in paths:
        problems += check(p)
    for p in problems:
        print(p)
    print(f"kdoc-lint: {len(paths)} headers, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
