# -*- coding: utf-8 -*-
# Copyright: goenv contributors
# SPDX-License-Identifier: MIT OR Apache-2.0
"""What the goenv modules share: finding the binary, running it, reading its JSON."""

from __future__ import annotations

import json
import os

# goenv reads no variable of its own; these keep its messages plain and in English.
ENVIRON = {'LC_ALL': 'C', 'NO_COLOR': '1'}


def find_binary(module, binary):
    """The goenv executable: `binary` as a path when it has a slash, else searched on PATH
    (and in ~/.local/bin, where the role installs it)."""
    if '/' in binary:
        path = os.path.abspath(os.path.expanduser(binary))
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            module.fail_json(msg='goenv is not an executable file at %s (option binary)' % path)
        return path
    found = module.get_bin_path(binary, opt_dirs=[os.path.expanduser('~/.local/bin')])
    if not found:
        module.fail_json(
            msg='%s is not on PATH or in ~/.local/bin: install goenv (the goenv.fleet.machine '
                'role copies it) or give its path as the option binary' % binary)
    return found


def command(module, goenv, home, args):
    """The argument list of one goenv command, global flags first."""
    cmd = [goenv, '--color', 'never']
    if home:
        cmd += ['--home', absolute_home(home)]
    return cmd + list(args)


def absolute_home(home):
    return os.path.abspath(os.path.expanduser(home))


def run(module, cmd, data=None):
    """Runs goenv; returns (rc, stdout, stderr)."""
    return module.run_command(cmd, environ_update=ENVIRON, data=data, check_rc=False)


def document(out):
    """The JSON document goenv printed on stdout, or None when it printed none."""
    try:
        doc = json.loads(out)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def problems_message(problems):
    """goenv's problems as one message: `file:line:col: message (hint: …)` each."""
    parts = []
    for p in problems or []:
        where = ''
        if p.get('file'):
            where = p['file']
            if p.get('line'):
                where += ':%s' % p['line']
                if p.get('column'):
                    where += ':%s' % p['column']
            where += ': '
        text = where + (p.get('message') or '')
        if p.get('help'):
            text += ' (hint: %s)' % p['help']
        parts.append(text)
    return '; '.join(parts)


def failure_message(rc, out, err, what):
    """The message of a failed goenv command: its JSON problems, else what it printed."""
    doc = document(out)
    if doc is not None and doc.get('problems'):
        return 'goenv %s failed: %s' % (what, problems_message(doc['problems']))
    text = (err or out or '').strip()
    return 'goenv %s failed (exit %s): %s' % (what, rc, text or 'no output')
