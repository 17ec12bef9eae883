# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identifier syntax shared by the server-side and client-side modules."""

from __future__ import annotations

import re

# EFS file system ids: "fs-" and 8 (older) or 17 hex digits.
FS_ID_PATTERN = r"fs-[0-9a-f]{8}(?:[0-9a-f]{9})?"
FS_ID_RE = re.compile(r"^" + FS_ID_PATTERN + r"\Z")
