#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: goenv contributors
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import annotations

DOCUMENTATION = r'''
---
module: goenv
short_description: Make a machine match a goenv profile, or roll it back
version_added: 0.1.0
description:
  - Runs L(goenv,https://goenv.invalid/goenv) on the target, a tool that makes a Go developer's
    machine (SDKs, the Go env file, shell start-up files, the desktop session, editors) match a
    declarative profile, as one journaled transaction recorded as a generation.
  - With O(state=applied) it runs C(goenv apply --yes --format json) and returns whether anything
    changed, the generation made and goenv's findings.
  - In check mode it runs C(goenv plan --format json) instead, which reads files only and starts
    no process; C(changed) comes from the plan's summary and, with C(--diff), each change is shown
    as goenv renders it (secret values are C(<redacted>) by goenv itself).
  - With O(state=rolled_back) it runs C(goenv rollback --yes --format json), which undoes the
    latest change (drift first, else the last generation), or restores the state right after
    O(generation); in check mode it runs it without C(--yes), so goenv declines and says what the
    rollback would do.
  - goenv is not in any package registry; the M(goenv.fleet.machine) role copies the binary
    from the controller.
author:
  - goenv contributors (!UNKNOWN)
options:
  profile:
    description:
      - Path of the profile on the target.
      - Without O(profile) and O(profile_content), goenv's default profile is used,
        C($XDG_CONFIG_HOME/goenv/profile.kdl) (C(~/.config/goenv/profile.kdl)), or
        C(HOME/.config/goenv/profile.kdl) with O(home).
    type: path
  profile_content:
    description:
      - The profile's text. With O(state=applied) it is written to goenv's default profile path
        (see O(profile)) atomically with mode C(0600) before goenv runs; writing it counts as a
        change. In check mode nothing is written, a temporary copy is planned.
      - It is never logged or returned, since a profile may hold secret values
        (C(secret=#true)). Relative C(include) paths are resolved from the default profile's
        directory in a real run but from a temporary directory in check mode, so give them
        with C(~) or as absolute paths.
      - Ignored with O(state=rolled_back).
    type: str
  state:
    description:
      - V(applied) makes the machine match the profile.
      - V(rolled_back) undoes the latest change, or restores the state right after
        O(generation).
    type: str
    choices: [applied, rolled_back]
    default: applied
  generation:
    description:
      - With O(state=rolled_back), the generation whose state to restore (V(0) is the state
        before goenv changed anything), as C(goenv rollback --to).
      - Without it, the latest change is undone, as C(goenv rollback) does (a second run then
        undoes the rollback, so give a generation for a run that should be idempotent).
    type: int
  binary:
    description:
      - The goenv executable on the target, a path or a name searched on E(PATH) and in
        C(~/.local/bin).
    type: str
    default: goenv
  home:
    description:
      - Treat this directory as the home directory (C(goenv --home)); every C(~), XDG default and
        target path is resolved inside it and the environment is taken as empty.
    type: path
  fail_on:
    description:
      - Which findings remaining after goenv ran make the task fail (C(--fail-on)); the change is
        made either way, and the result says so.
    type: str
    choices: [error, warning, never]
    default: error
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details:
      - Check mode runs C(goenv plan), which reads files only.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - One entry per changed resource, with goenv's own rendered diff in C(prepared).
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
notes:
  - goenv's error-level and warning-level findings are returned as warnings; every finding is in
    RV(findings).
  - A goenv failure fails the task with goenv's message (its file, line and column for a profile
    problem); goenv changes nothing when it fails.
  - O(profile_content) is written before goenv runs, so a profile goenv refuses stays at the profile
    path (where C(goenv check) on the machine shows the same problem); the task then fails with
    C(changed=true) and RV(profile_written=true).
seealso:
  - module: goenv.fleet.goenv_facts
'''

EXAMPLES = r'''
- name: Apply the team's profile
  goenv.fleet.goenv:
    profile_content: "{{ lookup('ansible.builtin.template', 'profile.kdl.j2') }}"
    binary: ~/.local/bin/goenv

- name: Apply a profile already on the machine
  goenv.fleet.goenv:
    profile: /etc/goenv/ci-runner.kdl

- name: Undo the latest change
  goenv.fleet.goenv:
    state: rolled_back

- name: Restore the state before goenv changed anything (idempotent)
  goenv.fleet.goenv:
    state: rolled_back
    generation: 0
'''

RETURN = r'''
changed:
  description: Whether goenv changed (or, in check mode, would change) the machine.
  returned: always
  type: bool
  sample: true
generation:
  description: The generation goenv made, or null when there was nothing to do (and in check mode).
  returned: success
  type: int
  sample: 3
summary:
  description: How many resources are (or would be) added, changed and removed, and effects run.
  returned: success
  type: dict
  sample: {"add": 2, "change": 1, "remove": 0}
changes:
  description: The changes made (or planned), without their contents.
  returned: success
  type: list
  elements: dict
  sample: [{"resource": "file:~/.config/go/env", "path": "/home/ada/.config/go/env", "action": "create"}]
findings:
  description: goenv's findings, as in C(goenv plan --format json) (secrets redacted); with
    O(state=rolled_back), those the rollback made (its effects skipped).
  returned: success
  type: list
  elements: dict
  sample: [{"severity": "warning", "code": "goenv::finding::path-shadowed", "message": "...", "help": null, "path": null, "line": null}]
profile:
  description: The profile goenv read.
  returned: when state is applied
  type: str
  sample: /home/ada/.config/goenv/profile.kdl
profile_written:
  description: Whether O(profile_content) was (or, in check mode, would be) written to the profile path.
  returned: when state is applied
  type: bool
  sample: false
problems:
  description: goenv's problems when it failed (file, line, column, code, message, help).
  returned: failure
  type: list
  elements: dict
  sample: [{"file": "/home/ada/.config/goenv/profile.kdl", "line": 3, "column": 5, "code": "goenv::profile::unknown-node", "message": "...", "help": "..."}]
rollback:
  description: The rollback in one line, as goenv says it without C(--format json) (in check
    mode, what it would do).
  returned: when state is rolled_back
  type: str
  sample: "Rolled back (undo generation 1) as generation 2. `goenv rollback` again undoes it."
undoes:
  description: What the rollback undoes (or would), from goenv's C(goenv.rollback/1) document;
    V(drift) (changes made outside goenv), V(generation) (the last generation), or V(to) (every
    generation after O(generation)).
  returned: when state is rolled_back
  type: str
  sample: generation
rolled_back_from:
  description: The latest generation when goenv rolled back.
  returned: when state is rolled_back
  type: int
  sample: 1
restored:
  description: The generation whose state the rollback restores (V(0) is before goenv changed
    anything).
  returned: when state is rolled_back
  type: int
  sample: 0
paths:
  description: Each path the rollback writes (or would), with its resource id, its path from
    C(~) (C(shown)) and what happens to it (V(restored), V(removed), V(created)).
  returned: when state is rolled_back
  type: list
  elements: dict
  sample: [{"resource": "file:~/.config/go/env", "path": "/home/ada/.config/go/env", "shown": "~/.config/go/env", "action": "removed"}]
effects:
  description: The effects the rollback ran (C(systemctl --user ...), C(launchctl ...), without
    values), those it skipped and why (no user manager for this home).
  returned: when state is rolled_back
  type: dict
  sample: {"ran": ["systemctl --user set-environment PATH"], "skipped": [], "skipped_why": null}
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.goenv.fleet.plugins.module_utils.goenv import (
    absolute_home,
    command,
    document,
    failure_message,
    find_binary,
    run,
)

FINDING = 3
SHOWN = ('error', 'warning')


def default_profile(home):
    """goenv's default profile path, as goenv resolves it (`Context::default_profile`)."""
    if home:
        return os.path.join(absolute_home(home), '.config', 'goenv', 'profile.kdl')
    config = os.environ.get('XDG_CONFIG_HOME', '')
    if not os.path.isabs(config):
        # goenv reads HOME (and refuses to run without it).
        config = os.path.join(os.environ.get('HOME', ''), '.config')
    return os.path.join(config, 'goenv', 'profile.kdl')


def profile_differs(path, content):
    try:
        with open(path, 'rb') as f:
            current = f.read()
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return True
    return current != content or mode != 0o600


def write_profile(path, content):
    """Writes the profile atomically (a temporary file beside it, renamed), mode 0600."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.profile.kdl.')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def warn_findings(module, findings):
    for f in findings:
        if f.get('severity') in SHOWN:
            text = 'goenv %s (%s): %s' % (f['severity'], f.get('code'), f.get('message'))
            if f.get('help'):
                text += ' (hint: %s)' % f['help']
            module.warn(text)


def diff_of(changes):
    """One diff entry per change, with goenv's own rendered diff as `prepared`."""
    out = []
    for c in changes:
        name = c.get('resource')
        out.append({
            'before_header': name,
            'after_header': name,
            'prepared': c.get('diff', ''),
        })
    return out


def applied(module, goenv, home):
    p = module.params
    content = p['profile_content']
    profile = p['profile']
    written = False
    result = dict(changed=False)
    if content is not None:
        target = default_profile(home)
        data = to_bytes(content, errors='surrogate_or_strict')
        written = profile_differs(target, data)
        if module.check_mode:
            # Nothing is written in check mode: goenv plans a private temporary copy.
            profile = os.path.join(module.tmpdir, 'profile.kdl')
            with open(profile, 'wb') as f:
                f.write(data)
            os.chmod(profile, 0o600)
        else:
            if written:
                try:
                    write_profile(target, data)
                except OSError as e:
                    module.fail_json(msg='cannot write the profile %s: %s' % (target, e))
            profile = target
    result['profile_written'] = written
    fail_on = ['--fail-on', p['fail_on']]
    if module.check_mode:
        args = ['plan', '--format', 'json'] + fail_on
        what = 'plan'
    else:
        args = ['apply', '--yes', '--format', 'json'] + fail_on
        what = 'apply'
    if profile:
        args.append(profile)
    rc, out, err = run(module, command(module, goenv, home, args))
    doc = document(out)
    if rc not in (0, FINDING) or doc is None or not doc.get('ok'):
        changed = written and not module.check_mode
        if doc is not None and doc.get('changed'):
            changed = True
        module.fail_json(
            msg=failure_message(rc, out, err, what),
            rc=rc,
            stderr=err,
            problems=(doc or {}).get('problems', []),
            changed=changed,
            profile_written=written,
        )
    changes = doc.get('changes', [])
    findings = doc.get('findings', [])
    result.update(
        changed=written or bool(changes),
        generation=doc.get('generation'),
        summary=doc.get('summary'),
        changes=[{k: c.get(k) for k in ('resource', 'path', 'action')} for c in changes],
        findings=findings,
        profile=doc.get('profile'),
    )
    if module.check_mode:
        # The profile shown is the one that would be written, not the temporary copy.
        result['profile'] = default_profile(home) if content is not None else doc.get('profile')
    if module._diff:
        diff = diff_of(changes)
        if written:
            shown = default_profile(home)
            diff.insert(0, {
                'before_header': shown,
                'after_header': shown,
                'prepared': 'profile %s: written from profile_content (not shown: it may hold secrets)\n' % shown,
            })
        result['diff'] = diff
    warn_findings(module, findings)
    if rc == FINDING:
        errors = [f.get('message') for f in findings if f.get('severity') == 'error'
                  or (p['fail_on'] == 'warning' and f.get('severity') == 'warning')]
        result['msg'] = 'goenv %s: a finding remains (fail_on=%s): %s' % (what, p['fail_on'], '; '.join(errors))
        module.fail_json(**result)
    if changes:
        result['msg'] = 'goenv %s: %s' % (what, summary_text(doc.get('summary') or {}))
    else:
        result['msg'] = 'goenv %s: no changes, the machine matches the profile' % what
    module.exit_json(**result)


def summary_text(s):
    text = '%s to add, %s to change, %s to remove' % (s.get('add', 0), s.get('change', 0), s.get('remove', 0))
    if s.get('run'):
        text += ', %s to run' % s['run']
    return text


DECLINED = 'goenv::error::declined'


def rollback_line(doc):
    """The rollback in one line, as goenv says it without JSON."""
    if not doc.get('changed'):
        return 'Nothing to do: the managed paths already match (%s).' % doc.get('why')
    return 'Rolled back (%s) as generation %s. `goenv rollback` again undoes it.' % (
        doc.get('why'), doc.get('generation'))


def rolled_back(module, goenv, home):
    p = module.params
    args = ['rollback', '--format', 'json']
    if p['generation'] is not None:
        args += ['--to', str(p['generation'])]
    if not module.check_mode:
        args.append('--yes')
    # stdin is a pipe, never a terminal: without --yes goenv declines, and its document still
    # says what the rollback would do.
    rc, out, err = run(module, command(module, goenv, home, args), data='n')
    doc = document(out)
    problems = (doc or {}).get('problems') or []
    preview = (module.check_mode and rc == 1 and doc is not None and not doc.get('ok')
               and [q.get('code') for q in problems] == [DECLINED] and 'why' in doc)
    if not preview and (rc != 0 or doc is None or not doc.get('ok')):
        module.fail_json(msg=failure_message(rc, out, err, 'rollback'), rc=rc, stderr=err,
                         problems=problems, changed=bool((doc or {}).get('changed')))
    changes = doc.get('changes', [])
    findings = doc.get('findings', [])
    if preview:
        line = 'Rollback: %s.' % doc.get('why')
    else:
        line = rollback_line(doc)
    result = dict(
        changed=bool(changes),
        generation=None if preview else doc.get('generation'),
        rollback=line,
        undoes=doc.get('undoes'),
        rolled_back_from=doc.get('from'),
        restored=doc.get('to'),
        summary=doc.get('summary'),
        changes=[{k: c.get(k) for k in ('resource', 'path', 'action')} for c in changes],
        paths=doc.get('paths', []),
        effects=doc.get('effects', {'ran': [], 'skipped': [], 'skipped_why': None}),
        findings=findings,
        msg='goenv rollback: %s' % line,
    )
    if module._diff:
        result['diff'] = diff_of(changes)
    warn_findings(module, findings)
    for w in doc.get('warnings', []):
        module.warn('goenv: %s' % w)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            profile=dict(type='path'),
            profile_content=dict(type='str', no_log=True),
            state=dict(type='str', choices=['applied', 'rolled_back'], default='applied'),
            generation=dict(type='int'),
            binary=dict(type='str', default='goenv'),
            home=dict(type='path'),
            fail_on=dict(type='str', choices=['error', 'warning', 'never'], default='error'),
        ),
        mutually_exclusive=[('profile', 'profile_content')],
        supports_check_mode=True,
    )
    p = module.params
    if p['generation'] is not None and p['state'] != 'rolled_back':
        module.fail_json(msg='generation is only for state=rolled_back')
    if p['generation'] is not None and p['generation'] < 0:
        module.fail_json(msg='generation must be 0 or more')
    goenv = find_binary(module, p['binary'])
    if p['state'] == 'rolled_back':
        rolled_back(module, goenv, p['home'])
    else:
        applied(module, goenv, p['home'])


if __name__ == '__main__':
    main()
