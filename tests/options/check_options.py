#!/usr/bin/env python3
"""check_options.py CVSEG SOURCE_DIR: the option tables against what users see.

Every verb has one option table (src/app/verb_*.c) that drives the parser,
`cvseg VERB --help`, `man cvseg` and the README's option reference. This test
treats the binary as a black box and checks, for every verb that
`cvseg --help` lists:

  1. help and parser name the same options: the options in `cvseg VERB --help`
     are exactly those the parser lists when it rejects an unknown option;
  2. the parser accepts each of them as --help shows it: options shown with a
     value take `--name=VALUE`, options shown alone are switches (the parser
     refuses a value for them), and -q/-v/-h and their long forms;
  3. the options --help marks "(required)" are exactly those the parser asks
     for ("missing required option"), found by giving them one at a time;
  4. README.md's generated block is what `cvseg --help-markdown` writes now
     (scripts/update-readme-options.sh --check), and every option of every
     verb's --help is in that block under its verb;
  5. every `cvseg VERB ... --option` that README.md and docs/file-formats.md
     write (code blocks and inline code) names an option of VERB.

Prints one line per check; exits 1 on any failure.
"""
import os
import re
import subprocess
import sys
import tempfile

CVSEG, SOURCE_DIR = sys.argv[1], sys.argv[2]
failures = 0


def check(ok, name, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + ("" if ok or not detail else ": " + detail))
    failures += 0 if ok else 1


def run(*args):
    done = subprocess.run([CVSEG, *args], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def verbs():
    rc, out, _ = run("--help")
    block = out.split("\nverbs:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines()], rc


def help_options(verb):
    """{name: (takes_value, required, line)} from `cvseg VERB --help`."""
    rc, out, err = run(verb, "--help")
    options = {}
    block = out.split("\noptions:\n", 1)[1]
    for line in block.splitlines():
        match = re.match(r"  --([a-z0-9-]+)( ?)(.*)", line)
        if not match:
            continue
        name = match.group(1)
        # "%-30s %s": a switch is "--name" padded; a value option "--name METAVAR"
        takes_value = match.group(2) == " " and not match.group(3).startswith(" ")
        if len(line) > 33 and line[2:33].rstrip() == "--" + name:
            takes_value = False
        options[name] = (takes_value, line.endswith("(required)"), line)
    return options, rc, block


def parser_names(verb):
    """The options the parser lists when it rejects an unknown one."""
    rc, _, err = run(verb, "--help", "--zz-not-an-option")
    match = re.search(r"unknown option '--zz-not-an-option' \(expected one of: (.*)\)", err)
    names = [n.strip()[2:] for n in match.group(1).split(",")] if match else None
    return names, rc


def probe_kinds(verb, options):
    """Gives every option at once as --help shows it (value options as --name=x,
    switches bare); returns the parser's verdict (rc, stderr)."""
    args = [verb, "--help"]
    for name, (takes_value, _, _) in options.items():
        args.append(f"--{name}=x" if takes_value else f"--{name}")
    return run(*args)


def required_by_parser(verb, options, scratch):
    """Asks the parser for required options one at a time (each given as x)."""
    given, asked = [], []
    for _ in range(len(options) + 1):
        _, _, err = run(verb, *given)
        # the parser's message (a verb's own checks word it otherwise)
        match = re.search(r"missing required option --([a-z0-9-]+) (\S+ )?\(see cvseg ", err)
        if not match or match.group(1) in asked:
            break
        asked.append(match.group(1))
        given += [f"--{match.group(1)}", os.path.join(scratch, "x")]
    return asked


def readme_block():
    text = open(os.path.join(SOURCE_DIR, "README.md"), encoding="utf-8").read()
    match = re.search(r"<!-- BEGIN GENERATED OPTIONS[^\n]*\n(.*?)<!-- END GENERATED OPTIONS -->",
                      text, re.S)
    return match.group(1) if match else ""


def readme_verb_options(block, verb):
    """Option names in the README table of verb (its <details> section)."""
    match = re.search(r"<summary><code>cvseg " + re.escape(verb) + r"</code>.*?</details>",
                      block, re.S)
    return set(re.findall(r"^\| `--([a-z0-9-]+)", match.group(0), re.M)) if match else set()


def mentioned_options(path):
    """(verb, option, text) for every `cvseg VERB ... --option` the markdown
    file writes: in code blocks (continued lines joined) and inline code."""
    text = open(path, encoding="utf-8").read()
    found = []
    pieces = [b.replace("\\\n", " ") for b in re.findall(r"```[a-z]*\n(.*?)```", text, re.S)]
    prose = re.sub(r"```[a-z]*\n.*?```", "", text, flags=re.S)
    lines = [l for b in pieces for l in b.splitlines()] + re.findall(r"`([^`\n]+)`", prose)
    for line in lines:
        for match in re.finditer(r"(?:^|[\s/])cvseg\s+([a-z]+)\b(.*)", line):
            command = re.split(r"[;&|]{1,2}\s|\)|\$\(", match.group(2))[0]
            for option in re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", command):
                found.append((match.group(1), option, line.strip()))
    return found


def check_mentions(helps):
    """Every option the README and docs/ write after `cvseg VERB` is VERB's."""
    common = {"quiet", "verbose", "help"}
    for name in ("README.md", os.path.join("docs", "file-formats.md")):
        mentions = [m for m in mentioned_options(os.path.join(SOURCE_DIR, name)) if m[0] in helps]
        wrong = [m for m in mentions if m[1] not in helps[m[0]] and m[1] not in common]
        check(not wrong, f"{name}: the {len(mentions)} options it writes after `cvseg VERB` are "
              "options of VERB", "; ".join(f"{v} --{o} in '{t[:100]}'" for v, o, t in wrong))


def check_verb(verb, block, scratch):
    options, rc, help_text = help_options(verb)
    check(rc == 0 and options, f"{verb}: --help lists {len(options)} options (exit {rc})")
    for letter, name in (("q", "quiet"), ("v", "verbose"), ("h", "help")):
        check(f"  -{letter}, --{name} " in help_text, f"{verb}: --help shows -{letter}, --{name}")
    rc, _, err = run(verb, "--help", "-q", "-v", "-h", "--quiet", "--verbose")
    check(rc == 0, f"{verb}: the parser takes -q -v -h --quiet --verbose", err.strip())

    names, rc = parser_names(verb)
    check(rc == 1 and names is not None, f"{verb}: the parser lists its options (exit {rc})")
    if names is not None:
        only_help = sorted(set(options) - set(names))
        only_parser = sorted(set(names) - set(options))
        check(not only_help and not only_parser and len(names) == len(set(names)),
              f"{verb}: --help and the parser name the same {len(names)} options",
              f"only in --help: {only_help}, only in the parser: {only_parser}")

    rc, _, err = probe_kinds(verb, options)
    check(rc == 0, f"{verb}: the parser takes every option as --help shows it", err.strip())
    # A value option given as --name=x above proved its kind (a switch refuses
    # a value); a switch given bare might have swallowed the next argument.
    for name, (takes_value, _, _) in options.items():
        if not takes_value:
            rc, _, err = run(verb, "--help", f"--{name}=x")
            check(rc == 1 and f"option --{name} takes no value" in err,
                  f"{verb}: --{name} is a switch", f"exit {rc}: {err.strip()}")

    required_help = sorted(n for n, (_, required, _) in options.items() if required)
    required_parser = sorted(required_by_parser(verb, options, scratch))
    check(required_help == required_parser, f"{verb}: required options {required_help}",
          f"--help marks {required_help}, the parser asks for {required_parser}")

    in_readme = readme_verb_options(block, verb)
    check(in_readme == set(options), f"{verb}: the README's table has every option",
          f"missing {sorted(set(options) - in_readme)}, extra {sorted(in_readme - set(options))}")
    return set(options)


def main():
    names, rc = verbs()
    check(rc == 0 and len(names) >= 10, f"cvseg --help lists {len(names)} verbs")
    script = os.path.join(SOURCE_DIR, "scripts", "update-readme-options.sh")
    done = subprocess.run(["bash", script, "--check", CVSEG, os.path.join(SOURCE_DIR, "README.md")],
                          capture_output=True, text=True, timeout=300)
    check(done.returncode == 0, "README.md's option reference is `cvseg --help-markdown`",
          done.stderr[-3000:])
    block = readme_block()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # whatever a probe might write lands here
        helps = {verb: check_verb(verb, block, scratch) for verb in names}
    check_mentions(helps)
    print(f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
