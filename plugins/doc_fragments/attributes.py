# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the standard attributes mean, and the two attribute sets modules share."""

from __future__ import annotations


class ModuleDocFragment:
    # The meaning of each attribute; each module says how far it supports it.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return the changed status it predicts without changing anything.
  diff_mode:
    description: Returns what has changed (or would change in check mode) when run in diff mode.
  idempotent:
    description:
      - When run twice in a row with the same arguments, the second run reports C(changed=false) and changes
        nothing (on an unchanged target).
"""

    # Modules that only read: nothing to predict, nothing to diff, never changed.
    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - It only reads, and runs unchanged in check mode.
  diff_mode:
    support: N/A
    details:
      - It changes nothing, so there is no diff.
  idempotent:
    support: full
    details:
      - Always reports C(changed=false).
"""

    ACTIONGROUP_DOCKER = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/fanout.docker.docker) or C(group/fanout.docker.fanout) in C(module_defaults) to set
      defaults for this module (for example O(docker_host)).
    support: full
    membership:
      - fanout.docker.docker
      - fanout.docker.fanout
"""

    ACTIONGROUP_FANOUT = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/fanout.docker.fanout) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - fanout.docker.fanout
"""
