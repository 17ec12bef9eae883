# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identifier syntax shared by the server-side and client-side modules."""

from __future__ import annotations

import re

# The EFS API's FileSystemId pattern: fs- and 8 to 40 lowercase hex digits (today's ids have 8 or 17).
FS_ID_PATTERN = r"fs-[0-9a-f]{8,40}"
# \Z, not $: "$" also matches before a trailing newline.
FS_ID_RE = re.compile(r"^" + FS_ID_PATTERN + r"\Z")
FS_ID_DESCRIPTION = "fs- followed by 8 to 40 lowercase hex digits"
