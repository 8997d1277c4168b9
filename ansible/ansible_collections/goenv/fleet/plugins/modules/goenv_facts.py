#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: goenv contributors
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import annotations

DOCUMENTATION = r'''
---
module: goenv_facts
short_description: What every program on a machine sees of Go, as facts (goenv doctor)
version_added: 0.1.0
description:
  - Runs C(goenv doctor --format json) on the target and returns its C(goenv.doctor/1) document
    as the fact C(ansible_facts.goenv), so a play can branch on what a machine has.
  - For each context (login shells, interactive shells, the desktop session, user services,
    editors) the document says its E(PATH), the C(go) it runs and every Go setting with the file,
    line or layer that decided it; then goenv's findings and a summary. See C(schemas/doctor.schema.json)
    in the goenv repository.
  - goenv doctor reads files only and starts no process, so the module changes nothing and runs in
    check mode too.
author:
  - goenv contributors (!UNKNOWN)
options:
  binary:
    description:
      - The goenv executable on the target, a path or a name searched on E(PATH) and in
        C(~/.local/bin).
    type: str
    default: goenv
  home:
    description:
      - Treat this directory as the home directory (C(goenv --home)).
    type: path
  contexts:
    description:
      - Only these contexts (C(goenv doctor --context ID)); all of them when empty.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: posix
seealso:
  - module: goenv.fleet.goenv
'''

EXAMPLES = r'''
- name: Read what the machine's programs see of Go
  goenv.fleet.goenv_facts:
    binary: ~/.local/bin/goenv

- name: Say which machines have error-level findings
  ansible.builtin.debug:
    msg: "{{ ansible_facts.goenv.findings | selectattr('severity', 'equalto', 'error') | map(attribute='message') | list }}"
  when: ansible_facts.goenv.summary.errors > 0
'''

RETURN = r'''
ansible_facts:
  description: The facts.
  returned: always
  type: dict
  contains:
    goenv:
      description: The C(goenv.doctor/1) document (secrets redacted by goenv).
      returned: always
      type: dict
      sample: {"schema": "goenv.doctor/1", "home": "/home/ada", "os": "linux", "arch": "amd64", "contexts": [], "findings": [], "summary": {}}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.goenv.fleet.plugins.module_utils.goenv import (
    command,
    document,
    failure_message,
    find_binary,
    run,
)

# doctor exits 3 when an error-level finding is reported: the document is still the result.
FINDING = 3


def main():
    module = AnsibleModule(
        argument_spec=dict(
            binary=dict(type='str', default='goenv'),
            home=dict(type='path'),
            contexts=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    goenv = find_binary(module, p['binary'])
    args = ['doctor', '--format', 'json']
    for c in p['contexts']:
        args += ['--context', c]
    rc, out, err = run(module, command(module, goenv, p['home'], args))
    doc = document(out)
    if rc not in (0, FINDING) or doc is None or doc.get('schema') != 'goenv.doctor/1':
        module.fail_json(msg=failure_message(rc, out, err, 'doctor'), rc=rc, stderr=err)
    module.exit_json(changed=False, ansible_facts=dict(goenv=doc))


if __name__ == '__main__':
    main()
